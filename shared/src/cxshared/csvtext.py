"""CSV that people upload, read as a spreadsheet writes it: any line ending (a lone carriage
return included) ends a line unless quoted, each row comes with the line it ends on, and a
malformed file raises one `CsvError` that names its line instead of escaping as `csv.Error`."""

import csv
import io
from collections.abc import Iterator
from typing import IO


class CsvError(ValueError):
    """The text cannot be read as CSV; the message names the line, for the person who wrote it."""


class CsvRows:
    """The rows of CSV whose first line names the columns: text, or a stream opened with
    newline="" (read as it goes)."""

    def __init__(self, source: str | IO[str]) -> None:
        # newline="": the csv module splits lines itself, so a quoted line break stays in its
        # field and a lone "\r" is a line ending, as in every spreadsheet's export.
        stream = io.StringIO(source, newline="") if isinstance(source, str) else source
        self._reader = csv.DictReader(stream)
        try:
            self.fieldnames: list[str] = list(self._reader.fieldnames or [])
        except csv.Error as exc:
            raise CsvError(f"line 1: {exc}") from exc

    def __iter__(self) -> Iterator[tuple[int, dict[str, str | None]]]:
        """(the line the row ends on, the row by column name); a missing cell is None."""
        while True:
            try:
                row = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise CsvError(f"line {self._reader.reader.line_num}: {exc}") from exc
            yield self._reader.line_num, row
