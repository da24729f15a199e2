"""Photos are served from MEDIA_ROOT as it is at request time (SERVE_MEDIA, the default)."""

from __future__ import annotations


def test_media_is_served_from_the_media_root_of_the_request(client, settings, tmp_path):
    """The autouse fixture gives each test its own MEDIA_ROOT, after config.urls was
    imported: the file must come from this one, not from the folder of import time."""
    for name, body in (("first", b"first photo"), ("second", b"second photo")):
        settings.MEDIA_ROOT = tmp_path / name
        (tmp_path / name / "photos").mkdir(parents=True)
        (tmp_path / name / "photos" / "a.jpg").write_bytes(body)
        response = client.get("/media/photos/a.jpg")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == body
    assert client.get("/media/photos/missing.jpg").status_code == 404
