"""`segcli test`: tests for definitions (test files, and running them). See docs/workflow.md."""

from __future__ import annotations

from segcli.deftests.files import DefinitionTest, list_test_files, load_tests
from segcli.deftests.run import Difference, SuiteReport, Verdict, run_test, run_tests

__all__ = [
    "DefinitionTest",
    "Difference",
    "SuiteReport",
    "Verdict",
    "list_test_files",
    "load_tests",
    "run_test",
    "run_tests",
]
