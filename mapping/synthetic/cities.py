"""Where synthetic cameras go: cities weighted by population, and the countryside.

Real camera maps are a few dense city clusters with a heavy tail (a capital holds more
cameras than the next ten towns together) over a sparse countryside. The cities are
French and European metropolitan areas; populations are rounded metropolitan figures
in thousands, used only as weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class City:
    name: str
    lon: float
    lat: float
    population_k: int
    french: bool = True

    @property
    def spread_km(self) -> float:
        """Standard deviation of the city's Gaussian cluster: bigger cities sprawl more."""
        return 1.5 + 2.5 * (self.population_k / 1000) ** 0.5


CITIES: tuple[City, ...] = (
    City("Paris", 2.3522, 48.8566, 12_300),
    City("Lyon", 4.8357, 45.7640, 2_300),
    City("Marseille", 5.3698, 43.2965, 1_900),
    City("Lille", 3.0573, 50.6292, 1_500),
    City("Toulouse", 1.4442, 43.6047, 1_400),
    City("Bordeaux", -0.5792, 44.8378, 1_300),
    City("Nice", 7.2620, 43.7102, 1_000),
    City("Nantes", -1.5536, 47.2184, 1_000),
    City("Strasbourg", 7.7521, 48.5734, 850),
    City("Montpellier", 3.8767, 43.6108, 800),
    City("Rennes", -1.6778, 48.1173, 750),
    City("Grenoble", 5.7245, 45.1885, 700),
    City("Rouen", 1.0993, 49.4432, 650),
    City("Toulon", 5.9280, 43.1242, 600),
    City("Saint-Étienne", 4.3872, 45.4397, 500),
    City("Clermont-Ferrand", 3.0863, 45.7772, 500),
    City("Tours", 0.6848, 47.3941, 500),
    City("Nancy", 6.1844, 48.6921, 450),
    City("Orléans", 1.9093, 47.9030, 450),
    City("Angers", -0.5632, 47.4784, 430),
    City("Caen", -0.3707, 49.1829, 420),
    City("Metz", 6.1757, 49.1193, 400),
    City("Dijon", 5.0415, 47.3220, 390),
    City("Avignon", 4.8055, 43.9493, 340),
    City("Reims", 4.0317, 49.2583, 330),
    City("Perpignan", 2.8948, 42.6887, 330),
    City("Brest", -4.4860, 48.3904, 320),
    City("Le Havre", 0.1079, 49.4944, 320),
    City("London", -0.1276, 51.5072, 14_000, french=False),
    City("Berlin", 13.4050, 52.5200, 6_000, french=False),
    City("Madrid", -3.7038, 40.4168, 6_700, french=False),
    City("Barcelona", 2.1734, 41.3851, 5_600, french=False),
    City("Rome", 12.4964, 41.9028, 4_300, french=False),
    City("Milan", 9.1900, 45.4642, 4_300, french=False),
    City("Munich", 11.5820, 48.1351, 2_900, french=False),
    City("Vienna", 16.3738, 48.2082, 2_900, french=False),
    City("Lisbon", -9.1393, 38.7223, 2_900, french=False),
    City("Amsterdam", 4.9041, 52.3676, 2_500, french=False),
    City("Frankfurt", 8.6821, 50.1109, 2_300, french=False),
    City("Brussels", 4.3517, 50.8503, 2_100, french=False),
    City("Zurich", 8.5417, 47.3769, 1_400, french=False),
    City("Geneva", 6.1432, 46.2044, 600, french=False),
    City("Luxembourg", 6.1296, 49.6116, 600, french=False),
)

# Mainland France, where the sparse countryside cameras are scattered.
COUNTRYSIDE_BOX = (-4.8, 42.4, 8.2, 51.0)
# Cameras per city grow a little faster than population (denser centres, more shops).
CITY_WEIGHT_EXPONENT = 1.1
KM_PER_DEGREE_LAT = 111.32


def city_weights(cities: tuple[City, ...] = CITIES) -> np.ndarray:
    """Share of city cameras per city (sums to 1)."""
    weights = np.array([c.population_k for c in cities], dtype=float) ** CITY_WEIGHT_EXPONENT
    return weights / weights.sum()


def metres_to_degrees(dx_m, dy_m, lat_deg):
    """Small offsets in metres (east, north) to degrees (lon, lat) at a latitude.

    An equirectangular approximation: under 0.5 % off within a few tens of kilometres,
    which is all a synthetic layout needs.
    """
    dlat = np.asarray(dy_m) / (KM_PER_DEGREE_LAT * 1000)
    dlon = np.asarray(dx_m) / (KM_PER_DEGREE_LAT * 1000 * np.cos(np.radians(lat_deg)))
    return dlon, dlat


def haversine_m(lon1, lat1, lon2, lat2):
    """Great-circle distance in metres (vectorised)."""
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(a))
