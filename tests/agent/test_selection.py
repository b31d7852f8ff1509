"""Tool selection: BM25 over ~50 realistic tools picks the right ones; budgets, recent tools and order hold."""

from __future__ import annotations

import pytest

from agent.selection import BM25Index, select_tools, terms, tool_json, tool_token_counts
from agent.shaping import token_counter
from inference.llama_cpp_backend import LlamaCppBackend
from tools import ToolSpec

_CATALOGUE: list[tuple[str, str, tuple[str, ...]]] = [
    ("files_read_file", "Read the complete contents of a text file from the file system.", ("path",)),
    ("files_write_file", "Create a new file or overwrite an existing file with new content.", ("path", "content")),
    ("files_list_directory", "List the files and subdirectories in a directory.", ("path",)),
    ("files_move_file", "Move or rename a file or directory.", ("source", "destination")),
    ("files_search_files", "Recursively search for files whose names match a glob pattern.", ("path", "pattern")),
    ("files_delete_file", "Delete a file from disk permanently.", ("path",)),
    ("git_status", "Show the working tree status of a git repository.", ("repo_path",)),
    ("git_diff", "Show unstaged changes in the working tree as a unified diff.", ("repo_path",)),
    ("git_commit", "Record staged changes to the repository with a commit message.", ("repo_path", "message")),
    ("git_log", "Show the commit history of the current branch.", ("repo_path", "max_count")),
    ("git_checkout", "Switch branches or create a new branch.", ("repo_path", "branch")),
    ("github_createIssue", "Open a new issue in a GitHub repository.", ("owner", "repo", "title", "body")),
    ("github_listPullRequests", "List open pull requests of a GitHub repository.", ("owner", "repo", "state")),
    ("github_mergePullRequest", "Merge a pull request.", ("owner", "repo", "pull_number")),
    ("github_searchCode", "Search source code across GitHub repositories.", ("query",)),
    ("weather_getCurrentWeather", "Current temperature, wind and conditions for a city.", ("city", "units")),
    ("weather_getForecast", "Daily weather forecast for the next days in a location.", ("city", "days")),
    ("weather_getAlerts", "Active severe weather alerts (storms, floods) for a US state.", ("state",)),
    ("clock_now", "The current date and time in a time zone.", ("timezone",)),
    ("clock_convert_time", "Convert a time from one time zone to another.", ("time", "from_tz", "to_tz")),
    ("calculator_evaluate", "Evaluate an arithmetic expression such as (3 + 4) * 12 / 5.", ("expression",)),
    ("calculator_convert_units", "Convert a quantity between units (km to miles, kg to pounds).", ("value", "unit")),
    ("notes_add_note", "Save a short note with a title for later.", ("title", "text")),
    ("notes_list_notes", "List all saved notes.", ()),
    ("notes_search_notes", "Find saved notes containing some words.", ("query",)),
    ("calendar_list_events", "List calendar events between two dates.", ("start", "end")),
    ("calendar_create_event", "Schedule a meeting or event in the calendar with attendees.", ("title", "start")),
    ("calendar_find_free_slots", "Find free time slots when all attendees are available.", ("attendees",)),
    ("email_send", "Send an email message to one or more recipients.", ("to", "subject", "body")),
    ("email_search_inbox", "Search the inbox for emails by sender, subject or words.", ("query",)),
    ("email_read_message", "Read one email message by its id.", ("message_id",)),
    ("slack_post_message", "Post a message to a Slack channel.", ("channel", "text")),
    ("slack_list_channels", "List the Slack channels of the workspace.", ()),
    ("web_search", "Search the web and return titles, links and snippets.", ("query",)),
    ("web_fetch", "Fetch a URL and return the page as markdown.", ("url",)),
    ("db_query", "Run a read-only SQL query against the PostgreSQL database.", ("sql",)),
    ("db_list_tables", "List the tables of the database with their columns.", ()),
    ("docker_list_containers", "List running Docker containers.", ()),
    ("docker_logs", "Fetch the logs of a Docker container.", ("container",)),
    ("k8s_get_pods", "List the pods of a Kubernetes namespace and their status.", ("namespace",)),
    ("jira_create_ticket", "Create a Jira ticket in a project.", ("project", "summary")),
    ("maps_directions", "Driving, walking or transit directions between two places.", ("origin", "destination")),
    ("maps_geocode", "Find the latitude and longitude of an address.", ("address",)),
    ("translate_text", "Translate text into another language.", ("text", "target_language")),
    ("image_generate", "Generate an image from a text prompt.", ("prompt",)),
    ("pdf_extract_text", "Extract the text of a PDF document.", ("path",)),
    ("stocks_get_quote", "Latest stock price quote for a ticker symbol.", ("symbol",)),
    (
        "currency_convert",
        "Convert an amount of money between currencies using current exchange rates.",
        ("amount", "from", "to"),
    ),
    ("wikipedia_lookup", "Summary of the Wikipedia article about a topic.", ("topic",)),
    ("timer_set_reminder", "Set a reminder that fires at a given time.", ("when", "text")),
]
TOOLS = [
    ToolSpec(
        name=name,
        description=description,
        input_schema={"type": "object", "properties": {p: {"type": "string"} for p in params}},
    )
    for name, description, params in _CATALOGUE
]
FLAT = {t.name: 100 for t in TOOLS}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("getWeatherForecast", ["weath", "forecast"]),
        ("files_read_file", ["file", "read", "file"]),
        ("reminders for the weather", ["remind", "weath"]),
        ("HTTPServerURL2", ["http", "serv", "url", "2"]),
        ("github_listPullRequests", ["github", "list", "pull", "request"]),
        ("Reading the files, please!", ["read", "file"]),
        ("What are the queries created?", ["query", "creat"]),
        ("k8s-get.pods", ["k8s", "pod"]),
        ("", []),
    ],
)
def test_terms(text: str, expected: list[str]) -> None:
    assert terms(text) == expected


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("What's the weather like in Paris right now?", {"weather_getCurrentWeather"}),
        ("Will it rain in Berlin over the next three days? I need the forecast", {"weather_getForecast"}),
        ("what time is it in Tokyo", {"clock_now"}),
        ("convert 3pm New York time to London time zone", {"clock_convert_time"}),
        ("compute (17 * 23) + 4 with the calculator", {"calculator_evaluate"}),
        ("show me the contents of README.md", {"files_read_file"}),
        ("rename report.txt to report-2024.txt", {"files_move_file"}),
        ("what changed in my git working tree, show the diff", {"git_diff", "git_status"}),
        ("open an issue on GitHub about the crash", {"github_createIssue"}),
        ("which pull requests are open in the repo", {"github_listPullRequests"}),
        ("send an email to alice with the subject lunch", {"email_send"}),
        ("post 'deploy done' to the #ops slack channel", {"slack_post_message"}),
        ("schedule a meeting with Bob on Friday", {"calendar_create_event"}),
        ("how many euros is 100 dollars at today's exchange rate", {"currency_convert"}),
        ("run this SQL query: select count(*) from users", {"db_query"}),
        ("why is my container crashing? check the docker logs", {"docker_logs"}),
        ("translate 'good morning' into Japanese", {"translate_text"}),
        ("remind me to call mum at 6pm", {"timer_set_reminder"}),
        ("save a note titled groceries: milk, eggs", {"notes_add_note"}),
        ("how do I drive from Lyon to Geneva", {"maps_directions"}),
        ("what is the AAPL stock price", {"stocks_get_quote"}),
        ("search the web for the latest llama.cpp release", {"web_search"}),
    ],
)
def test_bm25_picks_the_right_tools(query: str, wanted: set[str]) -> None:
    picked = select_tools(TOOLS, query, budget_tokens=500, tool_tokens=FLAT)
    assert len(picked) == 5
    assert wanted <= {t.name for t in picked}, [t.name for t in picked]


@pytest.mark.parametrize(
    ("query", "best"),
    [
        ("weather forecast for the next days", "weather_getForecast"),
        ("are there storm alerts in Texas", "weather_getAlerts"),
        ("list the pods in the default kubernetes namespace", "k8s_get_pods"),
        ("geocode this address: 10 Downing Street", "maps_geocode"),
        ("extract the text from invoice.pdf", "pdf_extract_text"),
        ("who is Ada Lovelace? look up wikipedia", "wikipedia_lookup"),
        ("merge pull request 42", "github_mergePullRequest"),
        ("find a free slot when the attendees are available", "calendar_find_free_slots"),
    ],
)
def test_bm25_ranks_the_best_tool_first(query: str, best: str) -> None:
    scores = BM25Index(TOOLS).scores(query)
    ranked = sorted(zip(scores, (t.name for t in TOOLS), strict=True), reverse=True)
    assert ranked[0][1] == best, ranked[:3]
    assert ranked[0][0] > ranked[1][0]


def test_everything_fits_so_everything_is_offered_in_order() -> None:
    assert select_tools(TOOLS, "weather", budget_tokens=100 * len(TOOLS), tool_tokens=FLAT) == TOOLS


def test_the_selection_keeps_the_original_order() -> None:
    picked = select_tools(TOOLS, "send email about the git commit to slack", budget_tokens=600, tool_tokens=FLAT)
    positions = [TOOLS.index(t) for t in picked]
    assert positions == sorted(positions) and len(picked) == 6


RECENT = ["db_query", "image_generate", "pdf_extract_text", "image_generate", "maps_geocode", "not_a_tool"]


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        # The four recent ones (unknown names ignored), then the best BM25 match; in the original order.
        (500, ["weather_getAlerts", "db_query", "maps_geocode", "image_generate", "pdf_extract_text"]),
        # Room for two: the latest two calls win, over the query.
        (200, ["maps_geocode", "image_generate"]),
    ],
)
def test_recent_tools_are_kept_latest_first(budget: int, expected: list[str]) -> None:
    picked = select_tools(TOOLS, "storm alerts", budget_tokens=budget, tool_tokens=FLAT, recent=RECENT)
    assert [t.name for t in picked] == expected


def test_a_tool_too_big_is_skipped_and_smaller_ones_still_fit() -> None:
    sizes = {**FLAT, "weather_getCurrentWeather": 450, "weather_getForecast": 120}
    picked = select_tools(TOOLS, "weather forecast for Oslo", budget_tokens=400, tool_tokens=sizes)
    names = [t.name for t in picked]
    assert "weather_getCurrentWeather" not in names and "weather_getForecast" in names
    assert sum(sizes[n] for n in names) <= 400


def test_a_query_that_matches_nothing_fills_the_budget_in_order() -> None:
    picked = select_tools(TOOLS, "zzz qqq", budget_tokens=300, tool_tokens=FLAT)
    assert picked == TOOLS[:3]
    assert BM25Index(TOOLS).scores("zzz qqq") == [0.0] * len(TOOLS)


def test_a_budget_too_small_for_any_tool_offers_none() -> None:
    assert select_tools(TOOLS, "weather", budget_tokens=50, tool_tokens=FLAT) == []


def test_missing_token_counts_are_a_clear_error() -> None:
    with pytest.raises(ValueError, match="tool_tokens: no count for 'files_read_file'"):
        select_tools(TOOLS[:2], "x", budget_tokens=10, tool_tokens={"files_write_file": 3})


def test_no_tools() -> None:
    assert select_tools([], "anything", budget_tokens=0, tool_tokens={}) == []
    assert BM25Index([]).scores("anything") == []


async def test_tool_token_counts_measure_the_schema_json() -> None:
    async def chars(text: str) -> int:
        return len(text)

    counts = await tool_token_counts(TOOLS[:3], chars)
    assert counts == {t.name: len(tool_json(t)) for t in TOOLS[:3]}
    assert '"parameters": {"type": "object"' in tool_json(TOOLS[0])


@pytest.mark.model
async def test_tool_token_counts_with_the_model_tokenizer(backend: LlamaCppBackend) -> None:
    count = token_counter(backend)
    counts = await tool_token_counts(TOOLS, count)
    assert set(counts) == {t.name for t in TOOLS}
    assert counts["files_read_file"] == len(await backend.tokenize(tool_json(TOOLS[0]), special=False))
    assert all(20 < n < 120 for n in counts.values()), counts
    assert counts["currency_convert"] > counts["notes_list_notes"]
    # With real counts and a budget of a quarter of the whole, the weather tools are still offered.
    budget = sum(counts.values()) // 4
    picked = select_tools(TOOLS, "weather forecast for Oslo this week", budget_tokens=budget, tool_tokens=counts)
    assert {"weather_getForecast", "weather_getCurrentWeather"} <= {t.name for t in picked}
    assert sum(counts[t.name] for t in picked) <= budget
