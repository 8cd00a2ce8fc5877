"""The globals a sandboxed module runs in: guarded builtins, guard hooks, module proxies."""

from __future__ import annotations

import builtins
from typing import Any

from RestrictedPython.Guards import safe_builtins

from .budget import Meter
from .errors import SandboxViolation
from .guards import Guards, guarded_unpacking
from .modules import SafeModule, make_modules

_DROPPED = {"BaseException", "GeneratorExit", "KeyboardInterrupt", "SystemExit",
            "setattr", "delattr", "_getattr_", "id", "type", "range", "repr"}
_PLAIN = ("len", "min", "max", "sorted", "enumerate", "zip", "abs", "round", "any", "all",
          "isinstance", "issubclass", "dict", "list", "set", "frozenset", "tuple", "int",
          "float", "bool", "map", "filter", "reversed", "next", "divmod", "chr", "ord",
          "hash", "bin", "hex", "oct", "callable", "slice", "ValueError", "TypeError",
          "KeyError", "IndexError", "StopIteration", "ZeroDivisionError", "Exception",
          "ArithmeticError", "LookupError", "AttributeError", "RuntimeError", "NotImplemented")


class _NullPrinter:
    """What ``print`` becomes: output is dropped (generated code has no console)."""

    def __init__(self, _getattr_: Any = None) -> None:
        pass

    def _call_print(self, *args: Any, **kwargs: Any) -> None:
        return None

    def __call__(self) -> str:
        return ""


def build_namespace(meter: Meter, module_name: str) -> dict[str, Any]:
    """Return fresh globals for one module; nothing in it is shared with the host."""
    guards = Guards(meter, module_name)
    modules = make_modules(guards)
    modules["__future__"] = SafeModule("__future__", {"annotations": True})

    def safe_import(name: str, globals: Any = None, locals: Any = None,
                    fromlist: Any = (), level: int = 0) -> SafeModule:
        module = modules.get(name)
        if module is None or level:
            meter.trip(SandboxViolation, f"import of {name!r} is not allowed")
        return module  # type: ignore[return-value]

    def iter_(ob: Any, *sentinel: Any) -> Any:
        if sentinel:
            meter.trip(SandboxViolation, "iter(callable, sentinel) is not allowed")
        return meter.getiter(ob)

    def getattr_(ob: Any, name: str, *default: Any) -> Any:
        return guards.getattr(ob, name, *default)

    safe = {k: v for k, v in safe_builtins.items() if k not in _DROPPED}
    safe.update({name: getattr(builtins, name) for name in _PLAIN})
    safe.update(
        __import__=safe_import,
        str=guards.safe_str,
        repr=guards.repr,
        format=guards.format,
        type=guards.type,
        sum=guards.sum,
        range=guards.range,
        pow=guards.pow,
        iter=iter_,
        getattr=getattr_,
        hasattr=guards.hasattr,
    )
    namespace: dict[str, Any] = {
        "__builtins__": safe,
        "__name__": module_name,
        "__metaclass__": type,
        "_getattr_": guards.getattr,
        "_getitem_": guards.getitem,
        "_getiter_": meter.getiter,
        "_write_": guards.write,
        "_inplacevar_": guards.inplacevar,
        "_inplaceitem_": guards.inplaceitem,
        "_apply_": lambda f, *a, **k: f(*a, **k),
        "_print_": _NullPrinter,
        "_tick_": meter.tick,
        "_enter_": meter.enter,
        "_leave_": meter.leave,
        "_mul_": guards.mul,
        "_pow_": guards.pow,
        "_lshift_": guards.lshift,
        "_add_": guards.add,
        "_mod_": guards.mod,
        "_shown_": guards.shown,
        **guarded_unpacking(),
    }
    return namespace
