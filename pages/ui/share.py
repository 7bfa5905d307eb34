"""A page's settings in its URL, both ways (sphereface_viz.links): a link restores them once per session,
every run writes them back, and "Share this set-up" shows the link to copy."""
from urllib.parse import urlencode

import streamlit as st

from sphereface_viz import links

state = st.session_state


def query() -> dict:
    # st.query_params keeps the last of a repeated key; every value is read by links.read before use
    return st.query_params.to_dict()


def _take(asked: dict, declared: dict, prefix: str) -> list[str]:
    """The usable values of `asked` into session state (as prefix + key); the messages for the rest."""
    values, said = links.read(asked, declared)
    for key, value in values.items():
        state[prefix + key] = value
    return said


def restore(page: str, declared: dict, prefix: str = "") -> None:
    """The first run of `page` in a session: the link's values into session state (as prefix + key), its
    unusable values into the messages `problems` shows."""
    if not state.get(f"link_read_{page}"):
        state[f"link_read_{page}"] = True
        state[f"link_problems_{page}"] = _take(query(), declared, prefix)


def restore_first(page: str, declared: dict, prefix: str = "") -> None:
    """Some settings decide what the others are (the loss decides its parameters): read them alone first,
    before restore() reads the rest. Their messages come with restore's."""
    if not state.get(f"link_read_{page}"):
        _take({k: v for k, v in query().items() if k in declared}, declared, prefix)


def problems(page: str) -> None:
    said = state.get(f"link_problems_{page}")
    if said:
        st.warning("This link has settings the app cannot use:\n\n" + "\n".join(f"- {p}" for p in said),
                   icon="🔗")


def apply(settings: dict, declared: dict, prefix: str = "") -> None:
    """Settings the page did not get from its own URL (a presentation's), read as a link's are."""
    _take(settings, declared, prefix)


def current(declared: dict, prefix: str = "") -> dict:
    """The page's current settings, as a link's query."""
    return links.write({k: state[prefix + k] for k in declared if prefix + k in state}, declared)


def publish(declared: dict, prefix: str = "", role: dict | None = None) -> str:
    """The URL query of the page's current settings, written into the address bar; the link returned. role:
    who the page is in present mode ({links.PRESENT: secret} or {links.FOLLOW: room})."""
    wanted = {**current(declared, prefix), **(role or {})}
    if links.hidden(query()):
        wanted[links.HIDE] = "hidden"
    if query() != wanted:
        st.query_params.from_dict(wanted)
    return f"{st.context.url or ''}?{urlencode(wanted, safe=',')}"


def share(link: str) -> None:
    """The link to copy, with the curated variant that hides the controls."""
    with st.popover("Share link", icon=":material/link:", help="these settings as a link, for a slide or a chat"):
        st.caption("Everyone who opens this link gets these settings (copy with the button at the right).")
        st.code(link, language=None, wrap_lines=True)
        st.caption("The same, with the settings hidden: for a student link.")
        hide = f"{links.HIDE}=hidden"
        st.code(link if hide in link else f"{link}&{hide}", language=None, wrap_lines=True)


def hide_controls() -> None:
    """?controls=hidden: no sidebar of settings and no page list, only the picture and Play."""
    if links.hidden(query()):
        st.markdown("<style>[data-testid='stSidebar'],[data-testid='stSidebarCollapsedControl'],"
                    "[data-testid='stExpandSidebarButton']{display:none !important}</style>", unsafe_allow_html=True)
