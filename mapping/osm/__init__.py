"""Reading OpenStreetMap: tag normalisation, walkability, Overpass and file readers.

Everything here turns OSM elements into plain records (mapping.osm.extract); writing
them to the database is mapping.sync's job.
"""
