"""Live updates: a change made through the services reaches a browser connected to ws/places/<street>/."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from linli.places.services import place_update, places_import
from linli.places.tests.factories import PlaceFactory, StreetFactory

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def run(coro_fn) -> None:
    """Run a coroutine on its own event loop in a fresh thread (other tests may leave a loop in this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coro_fn()).result()


def _app():
    from channels.routing import URLRouter

    from linli.places.routing import websocket_urlpatterns

    return URLRouter(websocket_urlpatterns)


@pytest.mark.django_db(transaction=True)  # on_commit callbacks really run
@override_settings(CHANNEL_LAYERS=IN_MEMORY)
def test_update_reaches_connected_client():
    street = StreetFactory(code="wanli")
    other = StreetFactory(code="other")
    place = PlaceFactory(street=street, external_id="A1")
    other_place = PlaceFactory(street=other, external_id="B1")

    async def scenario():
        listener = WebsocketCommunicator(_app(), "/ws/places/wanli/")
        connected, _ = await listener.connect()
        assert connected
        await database_sync_to_async(place_update)(place=other_place, name="别的街道")  # not for this street
        await database_sync_to_async(place_update)(place=place, name="新名字")
        message = await listener.receive_json_from(timeout=2)
        assert message == {"type": "place.changed", "ids": [place.pk]}
        assert await listener.receive_nothing(timeout=0.2)

        collection = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [121.39, 31.25]},
                    "properties": {"id": "N1", "name": "新点", "kind": "reading_room", "address": "书香路1号"},
                }
            ],
        }
        await database_sync_to_async(places_import)(street=street, collection=collection)
        message = await listener.receive_json_from(timeout=2)
        assert message["type"] == "place.changed" and len(message["ids"]) == 1

        await listener.send_json_to({"type": "ping"})
        assert await listener.receive_json_from(timeout=2) == {"type": "pong"}
        await listener.disconnect()

    run(scenario)


@override_settings(CHANNEL_LAYERS=IN_MEMORY)
def test_bad_path_is_refused():
    async def scenario():
        communicator = WebsocketCommunicator(_app(), "/ws/places/bad%20code!/")
        with pytest.raises(ValueError):  # no route matches
            await communicator.connect()

    run(scenario)
