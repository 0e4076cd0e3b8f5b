"""The services on the public portal's front page. Each app registers its own in AppConfig.ready()."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Tile:
    title: str
    text: str
    url_name: str
    order: int = 100


_tiles: dict[str, Tile] = {}


def register(title: str, text: str, url_name: str, order: int = 100) -> None:
    _tiles[url_name] = Tile(title, text, url_name, order)


def tiles() -> list[dict]:
    out = []
    for tile in sorted(_tiles.values(), key=lambda t: t.order):
        try:
            out.append({"title": tile.title, "text": tile.text, "url": reverse(tile.url_name)})
        except NoReverseMatch:
            continue
    return out
