"""The play bar (pages/ui/playbar.py) on a real server, through Streamlit's own protocol (devtools/streamclient.py): a
Play that trains runs the whole page (it starts ticking), a Play that follows another session's training runs only
the bar, and that session's frames still come."""
import asyncio
import time

from devtools.appdriver import app_server
from devtools.streamclient import StreamClient

LINK = "loss=cosface&dim=2&seed=31"


async def press_and_settle(client: StreamClient, label: str, seconds: float = 2.0) -> list[bool]:
    """The runs of the script a press caused (True: the whole page), as counted over `seconds`."""
    before = len(client.runs)
    await client.press(label)
    await asyncio.sleep(seconds)
    return client.runs[before:]


def test_a_play_that_follows_runs_the_bar_not_the_page_and_its_frames_come():
    async def scenario(url):
        first, second = StreamClient(url), StreamClient(url)
        await first.open(LINK)
        await second.open(LINK)
        await asyncio.sleep(1)  # the sprite sheet said to be held: that run is over
        trains = await press_and_settle(first, "Play", seconds=4.0)
        # the bar; then, a second after the view's first frame said the player trains, the page (it ticks now)
        assert trains[0] is False and True in trains
        follows = await press_and_settle(second, "Play")
        assert follows == [False]  # the bar alone
        pressed = time.monotonic()
        while second.reached(40) is None and time.monotonic() - pressed < 30:
            await asyncio.sleep(0.1)
        steps = [step for _, step, _ in second.frames]
        assert steps and max(steps) >= 40  # the first session's training, drawn on the second page
        assert "Another session is training this very run" in second.notices[-1]
        for client in (first, second):
            await client.close()

    with app_server() as (url, _):
        asyncio.run(scenario(url))
