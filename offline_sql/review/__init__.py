"""Review of the SQL a run produces: classification and risk findings per revision.

The pipeline hands over, per revision step, the statements already rendered for the target
database (:class:`ReviewedStep`); :func:`review` parses them with sqlglot, classifies them
(:mod:`.classify`) and runs the rule registry (:mod:`.rules`). Reports are rendered by
:mod:`.report`. Nothing here reads the database or the scripts: the review judges exactly the
text the DBA will apply.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from offline_sql.errors import ConfigError, ScriptError
from offline_sql.review.before import TablesBefore
from offline_sql.statements import Statement

if TYPE_CHECKING:
    from offline_sql.review.classify import ClassifiedStatement
    from offline_sql.review.rules import Rule, Severity

# The parsing and the rules (.classify, .rebuild, .rules: sqlglot, 60-70 ms to import) are
# imported where they are used, not with the package: the parent of a ``-o DIR`` run
# imports it at the first step (the schema timeline, .before) while a child process does
# the parsing, and needs sqlglot only for the review's last pass.

__all__ = [
    "Finding",
    "Review",
    "ReviewedStep",
    "StepReview",
    "core_review",
    "every_rule",
    "review",
]


@dataclass(frozen=True)
class ReviewedStep:
    """One revision step as the pipeline rendered it, with what the schema state knew before."""

    revision: str
    message: str
    direction: Literal["upgrade", "downgrade"]
    statements: Sequence[Statement]
    has_downgrade: bool = True
    allow: tuple[str, ...] = ()
    """The script's module-level ``mig_allow``: rule ids accepted for this revision."""
    existing_tables: frozenset[str] = frozenset()
    """Tables (``name`` or ``schema.name``) that existed before this step."""
    existing_columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Optional: table -> column -> its type before the step, as SQL for the target database
    (``"VARCHAR(50)"``, ``"ENUM('a','b')"``). Type rules skip columns not listed here."""
    in_transaction: tuple[bool, ...] | None = None
    """Optional: per statement, whether it runs inside a transaction. None: derived from the
    BEGIN/START TRANSACTION and COMMIT/ROLLBACK statements found in ``statements``."""
    refused_in_transaction: tuple[bool, ...] | None = None
    """Optional: per statement, whether the database refuses it inside a transaction as the
    target dialect reads its text (raw SQL mig left in place). The statements' own
    ``transactional`` flags count too."""
    source: str | None = None
    """The script's path, named in error messages."""
    rollback_blocked_by: str | None = None
    """A revision applied after this one without downgrade(): rolling back stops there, so
    this revision cannot be rolled back either (no rollback file is written for it)."""
    empty_downgrade: bool = False
    """A downgrade step whose ``downgrade()`` records nothing although ``upgrade()`` records
    operations: the version table moves back, the schema stays as upgrade() left it."""
    before: TablesBefore | None = None
    """Optional: the schema before the step as the pipeline tracked it
    (:mod:`offline_sql.review.before`); wins over ``existing_tables`` and
    ``existing_columns``."""
    core: StepReview | None = None
    """Optional: this step's review made earlier without its flags (:func:`core_review`,
    kept in the step cache): only the rules about the flags run again
    (``Rule.flags_only``); the statements, schema and placements are not looked at."""


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    revision: str
    statement: int | None
    """0-based index into the step's statements; None for a finding about the whole step."""
    message: str
    fix: str
    allowed: bool = False
    """Accepted through ``mig_allow`` or ``review_allow``: reported, not counted."""


@dataclass(frozen=True)
class StepReview:
    revision: str
    message: str
    direction: str
    has_downgrade: bool
    statements: tuple[ClassifiedStatement, ...]
    findings: tuple[Finding, ...]
    rollback_blocked_by: str | None = None
    empty_downgrade: bool = False

    @property
    def tables(self) -> tuple[str, ...]:
        """Every table the step's (non-bookkeeping) statements touch, sorted."""
        names = {t for s in self.statements if s.klass != "bookkeeping" for t in s.tables}
        return tuple(sorted(names))

    @property
    def rebuilt(self) -> tuple[str, ...]:
        """Tables the step rebuilds (set aside, created anew, rows put back), sorted."""
        return tuple(sorted({s.tables[0] for s in self.statements if s.part_of is not None}))

    @property
    def counts(self) -> dict[str, int]:
        """Changes per class, every class present (zeros included), in report order: one per
        statement, except a table rebuild, which is one ``alter`` however many it takes."""
        from offline_sql.review.classify import CLASSES

        counter = Counter(
            s.klass for s in self.statements if s.part_of is None or s.part_of == s.index
        )
        return {klass: counter.get(klass, 0) for klass in CLASSES}

    @property
    def rollback_available(self) -> bool:
        if self.direction != "upgrade":
            return True
        return self.has_downgrade and self.rollback_blocked_by is None


@dataclass(frozen=True)
class Review:
    dialect: str
    steps: tuple[StepReview, ...]

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for step in self.steps for f in step.findings)

    @property
    def counted(self) -> tuple[Finding, ...]:
        """Findings that are not allowed."""
        return tuple(f for f in self.findings if not f.allowed)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.counted if f.severity == severity)

    def has_errors(self, strict: bool = False) -> bool:
        """True when a not-allowed error exists (with ``strict``, a warning too)."""
        failing = {"error", "warning"} if strict else {"error"}
        return any(f.severity in failing for f in self.counted)


def _check_allow(
    ids: Iterable[str], where: str, error: type[Exception], specific: Sequence[Rule]
) -> None:
    """Refuse an id no rule has. The target database's rules are known already; an id of
    another database's rule is fine too (a script serves every database), so only an id
    outside both makes the review ask every registered dialect for its rules."""
    from offline_sql.review.rules import in_report_order

    known = {rule.id for rule in in_report_order(specific)}
    unknown = set(ids) - known
    if not unknown:
        return
    every = [rule.id for rule in every_rule()]
    unknown = unknown - set(every)
    if unknown:
        raise error(
            f"{where} names unknown review rule(s) {', '.join(sorted(unknown))}: "
            f"use one of {', '.join(every)}"
        )


def every_rule() -> tuple[Rule, ...]:
    """Every rule any registered dialect runs, in report order: the rules for every
    database and each dialect's own (imports every dialect; for checking rule ids)."""
    from offline_sql.dialect_api.registry import NAMES, get_dialect
    from offline_sql.review.rules import in_report_order

    specific: dict[str, Rule] = {}
    for name in NAMES:
        for rule in get_dialect(name).review_rules:
            specific.setdefault(rule.id, rule)
    return in_report_order(specific.values())


def _in_transaction(step: ReviewedStep) -> tuple[bool, ...]:
    if step.in_transaction is not None:
        if len(step.in_transaction) != len(step.statements):
            raise ValueError("ReviewedStep.in_transaction must have one flag per statement")
        return tuple(step.in_transaction)
    from offline_sql.review.classify import transaction_marker

    flags: list[bool] = []
    inside = False
    for statement in step.statements:
        marker = transaction_marker(statement)
        if marker == "begin":
            inside = True
        elif marker == "end":
            inside = False
        flags.append(inside and marker is None)
    return tuple(flags)


def _refused(step: ReviewedStep) -> tuple[bool, ...]:
    """Per statement: whether the database refuses it inside a transaction."""
    flags = tuple(not s.transactional for s in step.statements)
    if step.refused_in_transaction is None:
        return flags
    if len(step.refused_in_transaction) != len(step.statements):
        raise ValueError("ReviewedStep.refused_in_transaction must have one flag per statement")
    return tuple(a or b for a, b in zip(flags, step.refused_in_transaction, strict=True))


def core_review(
    step: ReviewedStep,
    sqlglot_name: str,
    allow: frozenset[str],
    rules: Sequence[Rule] = (),
) -> StepReview:
    """The review of a step without its flags (as if it had a downgrade, nothing empty,
    no rollback blocked), with the parsed trees dropped: what the step cache keeps, to be
    given back as :attr:`ReviewedStep.core`. It depends only on the step's statements,
    placements and the schema before it, which the step's cache key covers."""
    neutral = replace(
        step, has_downgrade=True, empty_downgrade=False, rollback_blocked_by=None, core=None
    )
    found = review_step(neutral, sqlglot_name, allow, rules)
    return replace(found, statements=tuple(replace(s, nodes=()) for s in found.statements))


def review_step(
    step: ReviewedStep,
    sqlglot_name: str,
    allow: frozenset[str],
    rules: Sequence[Rule] = (),
) -> StepReview:
    """Classify and lint one step; ``allow`` is the config-wide list, ``rules`` the
    database-specific rules the target dialect gives."""
    from offline_sql.review.classify import classify
    from offline_sql.review.rebuild import as_alters, find_rebuilds
    from offline_sql.review.rules import StepContext, in_report_order

    where = f"mig_allow of revision {step.revision}" + (f" ({step.source})" if step.source else "")
    _check_allow(step.allow, where, ScriptError, rules)
    ordered = in_report_order(rules)
    core = step.core
    findings: list[tuple[int, int, Finding]] = []
    if core is None:
        classified = tuple(classify(i, s, sqlglot_name) for i, s in enumerate(step.statements))
        classified = as_alters(classified, find_rebuilds(classified))
        in_transaction, refused = _in_transaction(step), _refused(step)
    else:
        # Everything but the flag rules was found before (with neutral flags, under which
        # the flag rules find nothing): keep it in its order.
        classified, in_transaction, refused = core.statements, (), ()
        order_of = {rule.id: order for order, rule in enumerate(ordered)}
        for kept in core.findings:
            position = kept.statement if kept.statement is not None else len(classified)
            findings.append((position, order_of.get(kept.rule, len(ordered)), kept))
    context = StepContext(
        revision=step.revision,
        direction=step.direction,
        has_downgrade=step.has_downgrade,
        sqlglot_name=sqlglot_name,
        statements=classified,
        in_transaction=in_transaction,
        refused_in_transaction=refused,
        existing_tables=step.existing_tables,
        existing_columns=step.existing_columns,
        empty_downgrade=step.empty_downgrade,
        before=step.before,
    )
    allowed = allow | set(step.allow)
    for order, rule in enumerate(ordered):
        if core is not None and not rule.flags_only:
            continue
        for hit in rule.check(context):
            finding = Finding(
                rule=rule.id,
                severity=hit.severity or rule.severity,
                revision=step.revision,
                statement=hit.statement,
                message=hit.message,
                fix=rule.fix,
                allowed=rule.id in allowed,
            )
            position = hit.statement if hit.statement is not None else len(classified)
            findings.append((position, order, finding))
    findings.sort(key=lambda item: (item[0], item[1]))
    return StepReview(
        revision=step.revision,
        message=step.message,
        direction=step.direction,
        has_downgrade=step.has_downgrade,
        statements=classified,
        findings=tuple(f for _, _, f in findings),
        rollback_blocked_by=step.rollback_blocked_by,
        empty_downgrade=step.empty_downgrade,
    )


def review(
    steps: Iterable[ReviewedStep],
    dialect_name: str,
    sqlglot_name: str,
    allow: Iterable[str] = (),
    *,
    rules: Iterable[Rule] | None = None,
) -> Review:
    """Review every step. ``allow`` is config's ``review_allow`` (rule ids accepted everywhere).

    ``rules`` are the database-specific rules to run (the target dialect's
    ``review_rules``); None asks the dialect registered as ``dialect_name`` for them.

    Raises :class:`ConfigError` / :class:`ScriptError` when an allow list names an unknown
    rule: a typo there would otherwise silently allow nothing. A database-specific rule whose
    id another rule has is a ValueError (a dialect declaring it is a mig bug).
    """
    enabled = tuple(_enabled_rules(dialect_name) if rules is None else rules)
    _check_ids(enabled, f"review rules of dialect {dialect_name}")
    allowed = frozenset(allow)
    _check_allow(allowed, "review_allow in the config", ConfigError, enabled)
    return Review(
        dialect=dialect_name,
        steps=tuple(review_step(s, sqlglot_name, allowed, enabled) for s in steps),
    )


def _check_ids(specific: Sequence[Rule], where: str) -> None:
    from offline_sql.review.rules import in_report_order

    ids = [rule.id for rule in in_report_order(specific)]
    repeated = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    if repeated:
        raise ValueError(f"{where} repeat the rule id(s) {', '.join(repeated)}")


def _enabled_rules(dialect_name: str) -> tuple[Rule, ...]:
    """The database-specific rules the registered dialect ``dialect_name`` gives."""
    from offline_sql.dialect_api.registry import get_dialect

    return get_dialect(dialect_name).review_rules
