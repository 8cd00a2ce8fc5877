"""RestrictedPython's transformer plus our rewrites: budget ticks and size-checked operators.

Runs after :class:`~.policy.SandboxPolicy` accepted the tree. On top of
RestrictedPython (attribute, item, iteration and write guards) it adds:

* ``_enter_()`` + ``try/finally: _leave_()`` around every function body
  (``_tick_()`` for generators, whose frames outlive a call);
* ``_tick_()`` at the top of every ``while`` body;
* ``a * b``, ``a ** b``, ``a << b``, ``a + b``, ``a % b`` as ``_mul_(a, b)`` …,
  unless an operand is a literal number that makes the operation harmless;
* ``f"{x}"`` as ``f"{_shown_(x)}"`` (refuses to print shared-DAG bombs);
* ``x: T = v`` as ``x = v`` (RestrictedPython rejects annotated assignments);
* ``x[k] op= v`` as ``_inplaceitem_(x, k, "op=", v)`` (RestrictedPython forbids it).
"""

from __future__ import annotations

import ast
from typing import Any

from RestrictedPython.transformer import IOPERATOR_TO_STR, RestrictingNodeTransformer

GUARDED_OPS: dict[type[ast.operator], str] = {
    ast.Mult: "_mul_",
    ast.Pow: "_pow_",
    ast.LShift: "_lshift_",
    ast.Add: "_add_",
    ast.Mod: "_mod_",
}


def _is_number(node: ast.expr, kinds: tuple[type, ...] = (int, float)) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, kinds)


def _call(name: str, args: list[ast.expr], like: ast.AST) -> ast.Call:
    call = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    return ast.copy_location(call, like)


def _stmt(name: str, like: ast.AST) -> ast.Expr:
    return ast.copy_location(ast.Expr(_call(name, [], like)), like)


def _is_generator(node: ast.FunctionDef) -> bool:
    stack: list[ast.AST] = list(node.body)
    while stack:
        child = stack.pop()
        if isinstance(child, ast.Yield | ast.YieldFrom):
            return True
        if isinstance(child, ast.FunctionDef | ast.Lambda | ast.ClassDef | ast.AsyncFunctionDef):
            continue
        stack.extend(ast.iter_child_nodes(child))
    return False


class BudgetTransformer(RestrictingNodeTransformer):
    """RestrictedPython's policy with budget hooks and guarded growth operators."""

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        generator = _is_generator(node)
        node = super().visit_FunctionDef(node)
        if generator:
            node.body.insert(0, _stmt("_tick_", node))
        else:
            guarded = ast.Try(body=node.body, handlers=[], orelse=[],
                              finalbody=[_stmt("_leave_", node)])
            node.body = [_stmt("_enter_", node), ast.copy_location(guarded, node)]
        return node

    def visit_While(self, node: ast.While) -> Any:
        node = super().visit_While(node)
        node.body.insert(0, _stmt("_tick_", node))
        return node

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = super().visit_BinOp(node)
        name = GUARDED_OPS.get(type(node.op))
        if name is None or self._harmless(node):
            return node
        return _call(name, [node.left, node.right], node)

    @staticmethod
    def _harmless(node: ast.BinOp) -> bool:
        left, right, op = node.left, node.right, node.op
        if isinstance(op, ast.Add):
            return _is_number(left) or _is_number(right)
        if isinstance(op, ast.Mult):
            return _is_number(left, (float,)) or _is_number(right, (float,)) or (
                _is_number(left) and _is_number(right))
        if isinstance(op, ast.Pow):
            return _is_number(right, (float,)) or _is_number(left, (float,))
        if isinstance(op, ast.Mod):
            return _is_number(left)
        return False

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        node = super().visit_FormattedValue(node)
        if not isinstance(node.value, ast.Constant):
            node.value = _call("_shown_", [node.value], node.value)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> Any:
        """``x: T = v`` runs as ``x = v`` (the policy already checked the annotation)."""
        if node.value is None:
            return ast.copy_location(ast.Pass(), node)
        assign = ast.copy_location(ast.Assign(targets=[node.target], value=node.value), node)
        return self.visit_Assign(assign)

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        if isinstance(node.target, ast.Subscript):
            target = node.target
            if isinstance(target.slice, ast.Slice):
                self.error(node, "Augmented assignment of slices is not allowed.")
                return node
            obj = self.visit(target.value)
            key = self.visit(target.slice)
            value = self.visit(node.value)
            op = ast.Constant(IOPERATOR_TO_STR[type(node.op)])
            call = _call("_inplaceitem_", [obj, key, op, value], node)
            return ast.copy_location(ast.Expr(call), node)
        return super().visit_AugAssign(node)
