import pytest

from screanalytics_dagster.ids import EpisodeIdError, show_of, validate_episode_id, validate_show_id

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("ep_id", ["rhobh-s01e01", "the-real-housewives-s12e03", "show2-s99e00"])
def test_valid_episode_ids(ep_id):
    assert validate_episode_id(ep_id) == ep_id


@pytest.mark.parametrize(
    "ep_id",
    ["Rhobh-s01e01", "rhobh-s1e1", "rhobh", "rhobh-s01e01 ", " rhobh-s01e01", "../x-s01e01", "rhobh--s01e01", "-s01e01", "rhobh_s01e01", "", None],
)
def test_invalid_episode_ids(ep_id):
    with pytest.raises(EpisodeIdError, match="expected lowercase"):
        validate_episode_id(ep_id)


def test_trailing_newline_is_invalid():
    with pytest.raises(EpisodeIdError):
        validate_episode_id("rhobh-s01e01\n")


@pytest.mark.parametrize(
    "ep_id, show",
    [("rhobh-s01e01", "rhobh"), ("the-real-housewives-s12e03", "the-real-housewives"), ("rhony-s13e01", "rhony")],
)

def test_show_of(ep_id, show):
    assert show_of(ep_id) == show


def test_show_of_rejects_invalid_ids():
    with pytest.raises(EpisodeIdError):
        show_of("rhobh")


@pytest.mark.parametrize("show", ["rhobh", "the-real-housewives", "show2"])
def test_valid_show_ids(show):
    assert validate_show_id(show) == show


@pytest.mark.parametrize("show", ["Rhobh", "rhobh-", "../rhobh", "rhobh-s01e01/x", "", "a b"])
def test_invalid_show_ids(show):
    with pytest.raises(EpisodeIdError, match="invalid show"):
        validate_show_id(show)
