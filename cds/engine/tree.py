"""A criterion's logic as a tree: Kleene any/all over leaves of registered kinds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from pydantic import ValidationError

from cds.engine.context import EvaluationContext
from cds.engine.kinds import KINDS, Kind, Params
from cds.engine.logic import Tri
from cds.engine.outcome import Outcome, combine_all, combine_any


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


Node = Union[Leaf, AnyOf, AllOf]


def compile_logic(block: Any, path: str) -> Node:
    """Turn `{any: [...]}`, `{all: [...]}` or `{<kind>: {params}}` into a node.

    :raise LogicError: not exactly one key, unknown kind, or parameters that do not validate.
    """
    if not isinstance(block, dict) or len(block) != 1:
        raise LogicError(f"{path}: expected one key (any, all, or an evaluator kind), got {block!r}")
    ((key, body),) = block.items()
    if key in ("any", "all"):
        if not isinstance(body, list) or len(body) < 2:
            raise LogicError(f"{path}.{key}: expected a list of at least two parts")
        parts = tuple(compile_logic(part, f"{path}.{key}[{i}]") for i, part in enumerate(body))
        return AnyOf(parts) if key == "any" else AllOf(parts)
    if key not in KINDS:
        raise LogicError(f"{path}: unknown evaluator kind {key!r} (known: {', '.join(sorted(KINDS))})")
    kind = KINDS[key]
    try:
        params = kind.params.model_validate(body or {})
    except ValidationError as exc:
        problems = (f"{path}.{key}{_located(error['loc'])}: {validation_message(error['msg'])}" for error in exc.errors())
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
    outcome = node.kind.evaluate(node.params, ctx)
    if outcome.status is not Tri.NOT_MET:
        return outcome
    unread = [item for t in node.kind.reads for item in ctx.facts.unreadable.get(t, ())]
    if not unread:
        return outcome
    named = "; ".join(f"{u.reference} ({u.problem})" for u in unread[:3])
    more = f" and {len(unread) - 3} more" if len(unread) > 3 else ""
    return Outcome(Tri.UNKNOWN, f"{outcome.reason}, but could not read {named}{more}", outcome.evidence)
