"""What a DBA receives with a change ticket: ``mig upgrade FROM:TO --sql -o DIR``.

::

    DIR/0001_<rev>_<slug>.sql ...     one self-contained script per revision, in apply order
    DIR/rollback/0001_<rev>_<slug>.sql the inverse scripts, in their own apply order
                                       (0001 undoes the last revision applied)
    DIR/MANIFEST.json                  order, revisions, parents, messages, sha256 of every
                                       file and of each source script, dialect, tool version
    DIR/REVIEW.md                      the review: tables touched, counts, findings, rollback

Each script carries its own header, preamble, guard, transaction and version-table change,
so a DBA can apply them one by one and stop anywhere. A revision whose ``downgrade()``
records nothing while its ``upgrade()`` does has no rollback: the manifest and the review say
so, and no rollback file is invented for it or for anything below it.

Everything is rendered first; :func:`offline_sql.output.write_directory` then writes into a
temporary directory and renames it into place, so a failure leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from offline_sql._version import __version__
from offline_sql.errors import ReviewError
from offline_sql.meter import metered
from offline_sql.script.template import slugify

if TYPE_CHECKING:
    from offline_sql.frame import Spelling
    from offline_sql.generate import Generated, RenderedStep
    from offline_sql.manifest import ManifestEntry
    from offline_sql.output import Checked, Staging
    from offline_sql.output_options import OutputOptions
    from offline_sql.project import Project
    from offline_sql.review import Review, ReviewedStep, StepReview
    from offline_sql.review.rules import Rule
    from offline_sql.review_child import CoreReviews
    from offline_sql.script.header import RevisionHeader
    from offline_sql.stepcache import DialectContext

_DIRECTION_WORD: dict[str, Literal["upgrade", "downgrade"]] = {"up": "upgrade", "down": "downgrade"}


def rollback_blockers(generated: Generated) -> dict[str, str]:
    """revision -> the revision without downgrade() that stops its rollback: rolling back
    undoes revisions in reverse order, so one without a way back blocks all before it
    (the same cut :func:`offline_sql.generate.generate` makes in the rollback files)."""
    blocked: dict[str, str] = {}
    blocker: str | None = None
    for rendered in reversed(generated.steps):
        revision = rendered.step.revision
        if rendered.step.direction != "up":
            continue
        if blocker is not None and revision not in generated.no_downgrade:
            blocked[revision] = blocker
        if blocker is None and revision in generated.no_downgrade:
            blocker = revision
    return blocked


def review_of(generated: Generated, forked: Sequence[CoreReviews] = ()) -> Review:
    """The review of the steps as rendered, with what the schema state knew before each.

    What the review finds in a step's statements is kept in the step cache under the
    step's rendering (:func:`offline_sql.review.core_review`): a step reviewed before is
    neither parsed nor looked up in the schema again; only its flags (downgrade missing or
    empty, rollback blocked) are judged anew. ``forked``: the core reviews a child process
    made while the steps were being generated
    (:func:`offline_sql.review_child.start_core_reviews`); a step it did not review (it
    failed, or warned) is reviewed here, as without it."""
    from offline_sql.review import core_review, review
    from offline_sql.review.stored import review_bytes, review_from
    from offline_sql.review_steps import FINDINGS
    from offline_sql.stepcache import review_key

    project = generated.project
    cache = generated.cache if generated.cache is not None and generated.cache.enabled else None
    blocked = rollback_blockers(generated)
    allow = frozenset(project.config.review_allow)
    name, sqlglot_name, rules = _review_target(generated)
    made: dict[int, bytes] = {}
    for child in forked:
        made.update(child.take())

    def core_of(index: int, rendered: RenderedStep) -> StepReview:
        kept = generated.reviews.get(index)
        if kept is not None:
            return kept
        data = made.pop(index, None)
        found = review_from(data, rendered.statements) if data is not None else None
        if found is None:
            found = core_review(_reviewed(generated, rendered, blocked), sqlglot_name, allow, rules)
            data = None
        if rendered.cache_key is not None and cache is not None:
            key = review_key(FINDINGS, rendered.cache_key)
            if data is None:
                data = review_bytes(found, rendered.statements)
            cache.remember_review(key, data)
        return found

    steps = (
        replace(_reviewed(generated, r, blocked, parsed=False), core=core_of(index, r))
        for index, r in enumerate(metered("reviewing", generated.steps, _revision))
    )
    try:
        return review(steps, name, sqlglot_name, allow, rules=rules)
    finally:
        if cache is not None:
            cache.flush()


def _review_target(generated: Generated) -> tuple[str, str, tuple[Rule, ...]]:
    """(dialect name, sqlglot name, the database's review rules): from the step cache's
    dialect context when it has them (no dialect imported), else from the dialect."""
    target = generated.review_target
    if target is not None:
        return target.name, target.sqlglot_name, target.rules()
    dialect = generated.project.dialect
    return dialect.name, dialect.sqlglot_name, dialect.review_rules


def _reviewed(
    generated: Generated, r: RenderedStep, blocked: dict[str, str], *, parsed: bool = True
) -> ReviewedStep:
    """One rendered step as the review takes it; ``parsed=False`` leaves out what only the
    statement rules read (placements, refusals), for a step whose review is cached."""
    return reviewed_step(
        generated.project,
        generated.spelling,
        r,
        has_downgrade=r.step.revision not in generated.no_downgrade,
        rollback_blocked_by=blocked.get(r.step.revision),
        empty_downgrade=r.step.revision in generated.empty_downgrades,
        parsed=parsed,
    )


def reviewed_step(
    project: Project,
    spelling: Spelling,
    r: RenderedStep,
    *,
    has_downgrade: bool = True,
    rollback_blocked_by: str | None = None,
    empty_downgrade: bool = False,
    parsed: bool = True,
) -> ReviewedStep:
    """:func:`_reviewed` from its parts (the flags default to the neutral ones the core
    review uses)."""
    from offline_sql.frame import FrameOptions, placements
    from offline_sql.offline import framed_step
    from offline_sql.review import ReviewedStep

    options = FrameOptions(transaction_per_migration=project.config.transaction_per_migration)
    return ReviewedStep(
        revision=r.step.revision,
        message=r.header.message if r.header else "",
        direction=_DIRECTION_WORD[r.step.direction],
        statements=r.statements,
        has_downgrade=has_downgrade,
        allow=r.header.allow_findings if r.header else (),
        existing_tables=r.existing_tables,
        existing_columns=r.existing_columns or {},
        before=r.before,
        in_transaction=placements(spelling, framed_step(r), options) if parsed else None,
        refused_in_transaction=(
            tuple(project.dialect.refuses_in_transaction(s.sql) for s in r.statements)
            if parsed
            else None
        ),
        source=r.header.path if r.header else None,
        rollback_blocked_by=rollback_blocked_by,
        empty_downgrade=empty_downgrade,
    )


def _revision(rendered: RenderedStep) -> str:
    return rendered.step.revision


def check_output(options: OutputOptions) -> Checked | None:
    """Before generating: the output directory can be written (see
    :func:`offline_sql.output.check_target`); what was found there, for :func:`write`."""
    from offline_sql.output import check_target

    if options.output is not None:
        return check_target(options.output, options.force)
    return None


def refuse_on_errors(review: Review) -> None:
    """``--strict``: error-level findings stop generation before anything is written."""
    errors = [f for f in review.counted if f.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        # Most fixes already say how to allow the finding; say it once.
        allow = f'; or allow it with mig_allow = ("{first.rule}",) in the script'
        raise ReviewError(
            f"--strict: revision {first.revision}: [{first.rule}] {first.message}{more}; "
            f"{first.fix}{'' if 'mig_allow' in first.fix else allow}"
        )


def _source_sha256(header: RevisionHeader) -> str:
    """The script's SHA-256, as the header index read it (the step cache keys the step by
    it), else read now."""
    from offline_sql.manifest import sha256_hex

    return header.source_sha256 or sha256_hex(Path(header.path).read_bytes())


def _file_name(order: int, rendered: RenderedStep) -> str:
    message = rendered.header.message if rendered.header else ""
    slug = slugify(message)
    base = f"{order:04d}_{rendered.step.revision}"
    return f"{base}_{slug}.sql" if slug else f"{base}.sql"


def _range(rendered: RenderedStep) -> str:
    from offline_sql.frame import describe_heads

    step = rendered.step
    return f"{describe_heads(step.heads_before)} -> {describe_heads(step.heads_after)}"


@dataclass
class Framed:
    """Every script file of the directory, framed; what :func:`write` adds them is the review
    (``REVIEW.md``) and the manifest. Framed before the review is taken, while a forked child
    may still be reviewing (:mod:`offline_sql.review_child`)."""

    files: list[tuple[str, bytes]]
    entries: list[ManifestEntry]
    unmatched_rollback: list[tuple[str, bytes]]
    """Rollback files of no upgrade file (listed among the manifest's other files)."""


def _rollback_title(order: int, total: int, rendered: RenderedStep) -> str:
    word = _DIRECTION_WORD[rendered.step.direction]
    return f"{_ROLLBACK_ORDER.format(order=order, total=total)} {word} {_range(rendered)}"


_ROLLBACK_ORDER = "rollback {order} of {total}:"
"""How a rollback file's title begins; the first words of its header's second line (the
first says which mig and which database: :func:`offline_sql.frame.frame_script`)."""


class RollbackFramer:
    """Frames each rollback file as the rollback walk renders its step, and keeps the file
    in place of the step's statements: held to the end of the walk, the rendered rollback
    steps (3.4 KB each, their files 1.1 KB) were 17 MiB at N = 5,000, and the run's peak
    fell by 5.6 to 7.1 MiB without them. The walk's length is known only at its end (it
    stops above the first revision without a way back,
    :func:`offline_sql.generate._rollback`): the files are framed with the planned count,
    and :func:`frame_files` corrects the titles when the walk stopped short. A step whose
    framing raises is kept whole and framed by :func:`frame_files`, which raises where it
    always did."""

    def __init__(
        self, project: Project, context: DialectContext, planned: int, *, options: OutputOptions
    ) -> None:
        self._project = project
        self._context = context
        self._options = options
        self.planned = planned
        self.files: list[bytes | None] = []

    def take(self, rendered: RenderedStep) -> RenderedStep:
        """The step to keep for the rollback file numbered ``len(files) + 1``: its file is
        framed now and the step kept without its statements, or, where framing raised, the
        step as it is (:attr:`files` then holds None for it)."""
        from offline_sql.offline import frame_in

        order = len(self.files) + 1
        title = _rollback_title(order, self.planned, rendered)
        context = self._context
        try:
            text = frame_in(
                context.spelling,
                context.session,
                self._project.config,
                [rendered],
                self._options,
                title=title,
            )
            data = text.encode()
        except Exception:
            self.files.append(None)
            return rendered
        self.files.append(data)
        return replace(rendered, statements=(), version_statements=(), guard=(), progress=())

    def reserve(self, count: int) -> None:
        """Number the next file ``count + 1``: the walk's first ``count`` steps are rendered
        elsewhere (:mod:`offline_sql.rollback_split`)."""
        self.files.extend([None] * count)

    def kept_from(self, start: int) -> list[bytes | None] | None:
        """The files framed from the walk's step ``start`` on; None where one of them
        could not be (its step is kept whole, to be framed where the error is raised)."""
        files = self.files[start:]
        return None if any(data is None for data in files) else files

    def adopt(self, kept: Sequence[bytes | None]) -> None:
        """Append the files another process framed (:meth:`kept_from`), in walk order."""
        self.files.extend(kept)


def _retitled(data: bytes, order: int, planned: int, total: int) -> bytes:
    """A rollback file framed with the planned count (:class:`RollbackFramer`) titled with
    the count the walk reached: the title's first words, replaced where they first occur
    (the header's second line: nothing before it can hold them)."""
    if planned == total:
        return data
    old = _ROLLBACK_ORDER.format(order=order, total=planned).encode()
    new = _ROLLBACK_ORDER.format(order=order, total=total).encode()
    return data.replace(old, new, 1)


def frame_files(generated: Generated, options: OutputOptions) -> Framed:
    """Frame the scripts and rollback scripts of the directory (nothing is written)."""
    from offline_sql.manifest import ManifestEntry
    from offline_sql.offline import frame

    files: list[tuple[str, bytes]] = []
    rollback: dict[str, tuple[str, bytes]] = {}
    total = len(generated.rollback)
    keeper = generated.rollback_keeper
    framer = keeper if isinstance(keeper, RollbackFramer) else None
    for order, rendered in enumerate(generated.rollback, 1):
        ahead = framer.files[order - 1] if framer is not None else None
        if framer is not None and ahead is not None:
            data = _retitled(ahead, order, framer.planned, total)
        else:
            title = _rollback_title(order, total, rendered)
            data = frame(generated, [rendered], options, title=title).encode()
        name = f"rollback/{_file_name(order, rendered)}"
        rollback[rendered.step.revision] = (name, data)
        files.append((name, data))

    entries = []
    total = len(generated.steps)
    for order, rendered in enumerate(generated.steps, 1):
        title = f"file {order} of {total}: {generated.command} {_range(rendered)}"
        setup = generated.setup if order == 1 else ()
        data = frame(generated, [rendered], options, title=title, setup=setup).encode()
        name = _file_name(order, rendered)
        files.append((name, data))
        header = rendered.header
        back = rollback.pop(rendered.step.revision, None)
        entries.append(
            ManifestEntry(
                order=order,
                revision=rendered.step.revision,
                parents=header.down_revisions if header else (),
                message=header.message if header else "",
                file=name,
                content=data,
                source_sha256=_source_sha256(header) if header else "",
                direction=_DIRECTION_WORD[rendered.step.direction],
                has_downgrade=rendered.step.revision not in generated.no_downgrade,
                rollback_file=back[0] if back else None,
                rollback_content=back[1] if back else None,
            )
        )
    return Framed(files, entries, list(rollback.values()))


def write(
    generated: Generated,
    review: Review,
    options: OutputOptions,
    checked: Checked | None = None,
    framed: Framed | None = None,
    staged: Staging | None = None,
) -> dict[str, str]:
    """Frame every file (unless ``framed`` already), then write the directory atomically
    (``checked``: what :func:`check_output` found there; a directory that already holds
    exactly these files is kept as it is; ``staged``: the framed files being written ahead,
    :func:`stage`). Returns each file's SHA-256 by name (what the result memo,
    :mod:`offline_sql.result_memo`, knows the directory by)."""
    from offline_sql.manifest import build_manifest, sha256_hex
    from offline_sql.output import write_directory
    from offline_sql.review.report import render_markdown

    assert options.output is not None
    if framed is None:
        framed = frame_files(generated, options)
    files = list(framed.files)
    report = render_markdown(review).encode()
    files.append(("REVIEW.md", report))
    extra = [("REVIEW.md", report), *framed.unmatched_rollback]
    digests = {name: sha256_hex(data) for name, data in files}
    manifest = build_manifest(
        framed.entries,
        _review_target(generated)[0],
        __version__,
        extra_files=extra,
        digests=digests,
    )
    files.append(("MANIFEST.json", manifest))
    digests["MANIFEST.json"] = sha256_hex(manifest)
    write_directory(
        options.output,
        files,
        force=options.force,
        checked=checked,
        digests=digests,
        staged=staged,
    )
    return digests


def stage(framed: Framed, options: OutputOptions, checked: Checked | None) -> Staging | None:
    """Start writing the framed script files into the directory's staging folder while the
    review is still to come (:class:`offline_sql.output.Staging`); :func:`write` adds
    ``REVIEW.md`` and the manifest and renames it into place."""
    from offline_sql.output import Staging

    if options.output is None:
        return None
    return Staging.start(options.output, framed.files, checked)
