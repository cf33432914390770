"""A criterion's logic as a tree: Kleene any/all/not over leaves of registered kinds.

Besides `any` and `all`, six constructs compose what the reference pages write:

- `not: <part>`: Kleene NOT ("finding AND NOT exception"; "no positive hCG in the
  window"). Under it the part serves the opposite kind of criterion: a record that
  counts for an exclusion (an unconfirmed diagnosis) is what makes a NOT-part of an
  inclusion false, so it is read as an exclusion reads it.
- `unknown_if: {reason, part}`: a met part counts only as unknown, with the reason
  ("confirm whether the sponsor counts it"); not_met and unknown stay as they are.
- `fallback: [first, then, ...]`: the first part decides when it has data; when it has
  none (`Outcome.no_data`: no lab result at all), it is unknown, and the criterion is
  that unknown OR the fallback of the rest ("no eGFR: decide by a CKD-stage code").
- `surely: <part>`: met only when the part is met; unknown counts as not_met. For an
  unknown tier a page limits to a fact that made another part met ("the Condition that
  made the diagnosis criterion met is recent"): a record that leaves that part open does
  not open the tier. It may stand only beneath an `unknown_if`, so it can narrow an
  unknown tier but never decide a criterion met, nor hide an exclusion outside a tier.
- `note: {text, part}`: the part, with `text` added to its reason whenever it is not met
  ("a screening pregnancy test is still required").
- `any_with_data: [parts]`: OR of the parts that have data; a part with no input at all
  is left out, and with none the result is unknown. For one finding measured by several
  tests (proteinuria by a 24-hour collection or by a spot ratio, "no recent result makes
  the part unknown"): the test that was done decides, the one not done holds nothing open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from pydantic import ValidationError

from cds.engine.context import EvaluationContext
from cds.engine.kinds import KINDS, Kind, Params
from cds.engine.logic import Tri
from cds.engine.outcome import Outcome, combine_all, combine_any, met_as_unknown, negate, noted_unless_met, surely_met


class LogicError(ValueError):
    """A logic block of a trial file is malformed; the message names the path."""


@dataclass(frozen=True)
class Leaf:
    """One evaluator kind with validated parameters."""

    kind: Kind[Any]
    params: Params


@dataclass(frozen=True)
class AnyOf:
    """Kleene OR of parts."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class AllOf:
    """Kleene AND of parts."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class OnePart:
    """A construct over a single part."""

    part: Node

    @property
    def parts(self) -> tuple[Node, ...]:
        """The one part, as the other nodes hold theirs."""
        return (self.part,)


@dataclass(frozen=True)
class NotOf(OnePart):
    """Kleene NOT of one part."""


@dataclass(frozen=True)
class UnknownIf(OnePart):
    """A part whose met counts only as unknown, with a reason."""

    reason: str = ""


@dataclass(frozen=True)
class Surely(OnePart):
    """A part that counts only when it is met: unknown counts as not_met."""


@dataclass(frozen=True)
class Note(OnePart):
    """A part whose reason gets `text` whenever it is not met."""

    text: str = ""


@dataclass(frozen=True)
class Fallback:
    """Parts tried in order: the first with data decides (see the module docstring)."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class AnyWithData:
    """Kleene OR of the parts that have data (see the module docstring)."""

    parts: tuple[Node, ...]


Node = Union[Leaf, AnyOf, AllOf, NotOf, UnknownIf, Surely, Note, Fallback, AnyWithData]
CONSTRUCTS = ("any", "all", "not", "unknown_if", "surely", "note", "fallback", "any_with_data")


def compile_logic(block: Any, path: str, in_tier: bool = False) -> Node:
    """Turn `{any: [...]}`, `{all: [...]}`, `{not: ...}`, `{unknown_if: {reason, part}}`,
    `{surely: ...}`, `{note: {text, part}}`, `{fallback: [...]}`, `{any_with_data: [...]}` or `{<kind>: {params}}`
    into a node. `in_tier`: the block lies beneath an `unknown_if`, the only place a
    `surely` may stand.

    :raise LogicError: not exactly one key, unknown kind, a `surely` outside an
        `unknown_if`, or parameters that do not validate, naming the path and the key.
    """
    if not isinstance(block, dict) or len(block) != 1:
        raise LogicError(f"{path}: expected one key ({', '.join(CONSTRUCTS)}, or an evaluator kind), got {block!r}")
    ((key, body),) = block.items()
    here = f"{path}.{key}"
    if key in ("any", "all", "fallback", "any_with_data"):
        if not isinstance(body, list) or len(body) < 2:
            raise LogicError(f"{here}: expected a list of at least two parts")
        parts = tuple(compile_logic(part, f"{here}[{i}]", in_tier) for i, part in enumerate(body))
        return {"any": AnyOf, "all": AllOf, "fallback": Fallback, "any_with_data": AnyWithData}[key](parts)
    if key == "not":
        return NotOf(compile_logic(body, here, in_tier))
    if key == "surely":
        if not in_tier:
            raise LogicError(f"{here}: surely may stand only beneath an unknown_if (it turns an unknown into not_met)")
        return Surely(compile_logic(body, here, in_tier))
    if key in ("unknown_if", "note"):
        words = "reason" if key == "unknown_if" else "text"
        if not isinstance(body, dict) or set(body) != {words, "part"} or not isinstance(body[words], str) or not body[words].strip():
            raise LogicError(f"{here}: expected exactly the keys {words} (a sentence) and part, got {body!r}")
        part = compile_logic(body["part"], f"{here}.part", in_tier or key == "unknown_if")
        return UnknownIf(part, body[words].strip()) if key == "unknown_if" else Note(part, body[words].strip())
    if key not in KINDS:
        raise LogicError(f"{path}: unknown evaluator kind {key!r} (known: {', '.join(sorted(KINDS))})")
    kind = KINDS[key]
    try:
        params = kind.params.model_validate(body or {})
    except ValidationError as exc:
        problems = (f"{here}{_located(error['loc'])}: {validation_message(error['msg'])}" for error in exc.errors())
        raise LogicError("; ".join(problems)) from None
    return Leaf(kind, params)


def validation_message(message: str) -> str:
    """A pydantic error message without the "Value error, " pydantic puts before a validator's own words."""
    return message.removeprefix("Value error, ")


def _located(loc: tuple[str | int, ...]) -> str:
    """A pydantic error location inside a kind's parameters, as a key path (`.valuesets[0]`)."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)


def leaves(node: Node) -> list[Leaf]:
    """Every leaf of a tree, in order."""
    if isinstance(node, Leaf):
        return [node]
    return [leaf for part in node.parts for leaf in leaves(part)]


def evaluate_node(node: Node, ctx: EvaluationContext) -> Outcome:
    """Evaluate a tree bottom-up with Kleene logic.

    A leaf that would be not_met while some resource of a type it reads could not be
    read becomes unknown, naming the resource: the unread record might be the one that
    decides it (issue: a resource the engine cannot interpret never aborts the
    evaluation, and never silently counts as "no record").
    """
    if isinstance(node, AnyOf):
        return combine_any([evaluate_node(p, ctx) for p in node.parts])
    if isinstance(node, AllOf):
        return combine_all([evaluate_node(p, ctx) for p in node.parts])
    if isinstance(node, NotOf):
        opposite = ctx.for_criterion("inclusion" if ctx.serves == "exclusion" else "exclusion")
        return negate(evaluate_node(node.part, opposite))
    if isinstance(node, UnknownIf):
        return met_as_unknown(evaluate_node(node.part, ctx), node.reason)
    if isinstance(node, Surely):
        return surely_met(evaluate_node(node.part, ctx))
    if isinstance(node, Note):
        return noted_unless_met(evaluate_node(node.part, ctx), node.text)
    if isinstance(node, Fallback):
        return _fallback(node.parts, ctx)
    if isinstance(node, AnyWithData):
        outcomes = [evaluate_node(p, ctx) for p in node.parts]
        return combine_any([o for o in outcomes if not o.no_data] or outcomes)
    outcome = node.kind.evaluate(node.params, ctx)
    if outcome.status is not Tri.NOT_MET:
        return outcome
    unread = [item for t in node.kind.reads for item in ctx.facts.unreadable.get(t, ())]
    if not unread:
        return outcome
    named = "; ".join(f"{u.reference} ({u.problem})" for u in unread[:3])
    more = f" and {len(unread) - 3} more" if len(unread) > 3 else ""
    return Outcome(Tri.UNKNOWN, f"{outcome.reason}, but could not read {named}{more}", outcome.evidence)


def _fallback(parts: tuple[Node, ...], ctx: EvaluationContext) -> Outcome:
    """The first part when it has data; else its unknown OR the fallback of the rest."""
    first = evaluate_node(parts[0], ctx)
    if not first.no_data:
        return first
    rest = _fallback(parts[1:], ctx) if len(parts) > 2 else evaluate_node(parts[1], ctx)
    reason = "; ".join(r for r in (first.reason, rest.reason) if r)
    if rest.status is Tri.MET:
        return Outcome(Tri.MET, reason, rest.evidence, rest.clears_on)
    return Outcome(Tri.UNKNOWN, reason, first.evidence + rest.evidence, None, rest.no_data)
