"""The report's sections of evaluation record files (:mod:`rllib_gnn.service.records`): one
per evaluation, with what played, its rows, its pairs, the protocol's check and what the
policy cost to train; then the file's own tables (a benchmark's learning curve, ...)."""

from __future__ import annotations

from pathlib import Path

from rllib_gnn.service.report_runs import value_text
from rllib_gnn.service.report_sections import Section
from rllib_gnn.service.tables import check_text, shown_rows, training_text

__all__ = ["record_sections"]


def _details(evaluation: dict) -> tuple[str, ...]:
    """The bullets of an evaluation: env, episodes and seeds, metric, context."""
    details = [f"eval env_config: `{value_text(evaluation.get('env_config'))}`"]
    if evaluation.get("env"):
        details.insert(0, f"env: `{evaluation['env']}`, metric `{evaluation.get('metric')}` "
                          f"({evaluation.get('goal')}), reference "
                          f"`{evaluation.get('reference')}`")
    seeds = evaluation.get("seeds")
    seeds = f", seeds {seeds[0]}..{seeds[-1]}" if seeds else ""
    details.append(f"episodes: {evaluation.get('episodes')}{seeds}"
                   if "episodes" in evaluation else "")
    details += [f"{key}: `{value_text(evaluation[key])}`"
                for key in ("checkpoint", "env_overrides", "sample") if key in evaluation]
    if "seed" in evaluation:  # an evaluation file written before the protocol
        details.append(f"seed: {evaluation['seed']}")
    return tuple(d for d in details if d)


def _evaluation(path: Path, evaluation: dict) -> Section:
    tables = [shown_rows(evaluation["rows"])]
    if evaluation.get("pairs"):
        tables.append(shown_rows(evaluation["pairs"]))
    notes = (check_text(evaluation), training_text(evaluation))
    return Section(f"{evaluation.get('name') or path.stem}", 3,
                   bullets=(*_details(evaluation), *(n for n in notes if n)),
                   tables=tuple(tables))


def record_sections(path: Path, record: dict | None, error: str = "") -> list[Section]:
    """The sections of the record file at ``path`` (``record`` None: it could not be read,
    for the reason ``error``)."""
    if record is None:
        return [Section(path.stem, 3, text=(f"Could not read `{path}`: {error}",))]
    sections = [_evaluation(path, evaluation) for evaluation in record["evaluations"]]
    sections += [Section(f"{record.get('title') or path.stem}: {name}", 3,
                         tables=(shown_rows(rows),))
                 for name, rows in (record.get("tables") or {}).items()]
    return sections
