"""The README's settings table is what the settings classes say, and says it truly."""

import pytest

from tests.deploy.settings_doc import END, README, SERVICES, START, env_name, render, replace_in


def test_readme_holds_the_table_the_settings_make() -> None:
    text = README.read_text()
    assert replace_in(text, render()) == text, (
        "README.md's settings table is out of date: run python -m tests.deploy.settings_doc"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_every_setting_is_described_and_listed(service: str) -> None:
    settings = SERVICES[service]
    table = render()
    for name, field in settings.model_fields.items():
        assert field.description, f"{service}: {name} has no description"
        env = env_name(settings, name, field)
        assert f"`{env}`" in table or f"`{env.replace(service.upper() + '_', '<SERVICE>_')}`" in (
            table
        ), f"{service}: {env} is not in the table"


@pytest.mark.parametrize("service", SERVICES)
def test_the_listed_names_are_the_ones_read(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = SERVICES[service]
    fields = settings.model_fields
    monkeypatch.setenv(env_name(settings, "port", fields["port"]), "9123")
    monkeypatch.setenv(env_name(settings, "log_level", fields["log_level"]), "DEBUG")
    monkeypatch.setenv(env_name(settings, "max_body_bytes", fields["max_body_bytes"]), "77")
    read = settings()
    assert (read.port, read.log_level, read.max_body_bytes) == (9123, "DEBUG", 77)


def test_a_readme_without_the_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="no"):
        replace_in("# a readme", "table")
    assert replace_in(f"a\n{START}\nold\n{END}\nb", "new") == f"a\n{START}\nnew\n{END}\nb"
