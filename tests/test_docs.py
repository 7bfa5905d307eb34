"""The docs hold: every tracked file is in docs/design.md's module map, and every section a page of the docs links
to, or the code cites by title (`docs/<page>.md, "<title>"`), exists."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CITED = re.compile(r'docs/(\w+)\.md, "([^"]+)"')          # a citation in the code: the page and a heading's title
LINKED = re.compile(r"\]\(((?:[\w./-]*/)?[\w-]+\.md)?#([^)\s]+)\)")  # a markdown link to a section


def tracked() -> list[str]:
    return subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()


def headings(page: Path) -> list[str]:
    return [line.lstrip("#").strip() for line in page.read_text().splitlines() if re.match(r"#{1,6} ", line)]


def slug(title: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, each space a hyphen."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def module_map() -> dict[str, set[str]]:
    """The names each folder's section of the map lists ("" for the top level's paths)."""
    text = (ROOT / "docs" / "design.md").read_text().split("## Module map", 1)[1].split("\n## ", 1)[0]
    listed, folder = {}, ""
    for line in text.splitlines():
        heading = re.match(r"### `([^`]+)/`", line)
        if heading or line.startswith("### "):
            folder = heading.group(1) if heading else ""
        elif line.startswith("- "):
            listed.setdefault(folder, set()).update(re.findall(r"`([^`]+)`", line.split(":", 1)[0]))
    return listed


def test_every_tracked_file_is_in_the_module_map():
    listed = module_map()
    missing = []
    for path in tracked():
        if path.startswith("docs/img/"):
            continue
        folder, _, name = path.rpartition("/")
        if name not in listed.get(folder, set()) and path not in listed.get("", set()):
            missing.append(path)
    assert not missing, f"not in docs/design.md's module map: {missing}"


def test_every_section_the_code_cites_exists():
    wrong = []
    for path in tracked():
        if path.endswith((".py", ".js")):
            for page, title in CITED.findall((ROOT / path).read_text()):
                if title not in headings(ROOT / "docs" / f"{page}.md"):
                    wrong.append(f'{path}: docs/{page}.md, "{title}"')
    assert not wrong, f"cited sections that do not exist: {wrong}"


def test_every_section_a_doc_links_to_exists():
    wrong = []
    for path in tracked():
        if path.endswith(".md"):
            source = ROOT / path
            for page, anchor in LINKED.findall(source.read_text()):
                target = (source.parent / page).resolve() if page else source
                if anchor not in {slug(title) for title in headings(target)}:
                    wrong.append(f"{path}: {page}#{anchor}")
    assert not wrong, f"links to sections that do not exist: {wrong}"


def readme_commands() -> dict[str, str]:
    """The README's set-up-and-go commands: the one bash block under each of "Start" and "Test"."""
    text, commands = (ROOT / "README.md").read_text(), {}
    for section in ("Start", "Test"):
        body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
        blocks = re.findall(r"```bash\n(.*?)\n```", body, re.S)
        assert len(blocks) == 1 and "\n" not in blocks[0], f"README's {section}: one command"
        commands[section] = blocks[0]
    return commands


def test_ci_runs_the_readmes_test_command_verbatim():
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert lines[-1] == readme_commands()["Test"]


def test_the_readmes_start_command_installs_and_serves_the_app_as_written():
    """Run word for word (the port from Streamlit's own environment variable, so that it cannot collide): pip finds
    everything installed, and the app's first page runs without an error element."""
    import asyncio
    import os
    import signal
    import sys

    from devtools.appdriver import free_port, wait_for_port
    from devtools.streamclient import StreamClient

    port = free_port()
    bin_dir = os.path.dirname(sys.executable)  # this interpreter's pip and streamlit
    env = {**os.environ, "STREAMLIT_SERVER_PORT": str(port), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    server = subprocess.Popen(["bash", "-c", readme_commands()["Start"]], cwd=ROOT, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        assert wait_for_port(port, seconds=300), "the app never listened"

        async def first_page():
            client = StreamClient(f"http://127.0.0.1:{port}")
            await client.open("")
            await client.close()
            return client

        client = asyncio.run(first_page())
        assert client.runs and client.errors == 0 and "Play" in client.buttons
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
