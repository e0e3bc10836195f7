"""The request budget's cost model: each optimizer class states its own factors.

Expected numbers are the formulas of app/core/lab2d/cost.py's docstring worked out by hand.
"""

from __future__ import annotations

import pytest

from app.core.lab2d.cost import FIXED_POINTS, NODES_PER_UNIT, update_cost
from app.core.lab2d.surfaces import ExpressionSurface, get_surface
from app.core.optim.base import UpdateWork
from app.core.optim.registry import OPTIMIZERS
from app.core.optim.second_order import LINE_SEARCH_EVALUATIONS

FIRST_ORDER = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "nadam", "amsgrad", "adadelta")


@pytest.mark.parametrize("optimizer", [*FIRST_ORDER, "no_such_optimizer"])
def test_first_order_and_unknown_ids_cost_one_unit(optimizer: str) -> None:
    cost = update_cost(get_surface("rosenbrock"), optimizer)
    assert (cost.per_point, cost.fixed) == (1.0, 1.0)
    # 10 updates of 3 points: 10 · (3 · 1 + 400 · 1)
    assert cost.work(10, 3) == 10 * (3 + FIXED_POINTS)


def test_newton_pays_for_the_hessian() -> None:
    cost = update_cost(get_surface("rosenbrock"), "newton")
    assert (cost.per_point, cost.fixed) == (3.5, 2.5)


@pytest.mark.parametrize(
    ("params", "per_point", "fixed"),
    [
        ({}, 2.0 + 1.2 * 10 + 1.0, 2.5 + 0.25 * 10 + 3.0),  # defaults: m = 10, line search on
        ({"memory": 3}, 2.0 + 3.6 + 1.0, 2.5 + 0.75 + 3.0),
        ({"memory": 50, "line_search": 0}, 2.0 + 60.0, 2.5 + 12.5),
    ],
)
def test_lbfgs_cost_grows_with_memory_and_the_line_search(
    params: dict[str, float], per_point: float, fixed: float
) -> None:
    cost = update_cost(get_surface("rosenbrock"), "lbfgs", params)
    assert cost.per_point == pytest.approx(per_point) and cost.fixed == pytest.approx(fixed)


def test_custom_surface_adds_the_nodes_each_optimizer_evaluates() -> None:
    s = get_surface("custom", expression="sin(x)*y^2 + exp(-x*y)")
    assert isinstance(s, ExpressionSurface)
    f, grad = s.expr.node_count(), s.dx.node_count() + s.dy.node_count()
    hess = s.dxx.node_count() + s.dxy.node_count() + s.dyy.node_count()
    sgd = update_cost(s, "sgd")
    assert sgd.per_point == pytest.approx(1.0 + (f + grad) / NODES_PER_UNIT)
    newton = update_cost(s, "newton")
    assert newton.fixed == pytest.approx(2.5 + (f + grad + hess) / NODES_PER_UNIT)
    lbfgs = update_cost(s, "lbfgs")  # f once per step plus 20 line-search evaluations
    assert lbfgs.per_point == pytest.approx(15.0 + (21 * f + grad) / NODES_PER_UNIT)
    assert LINE_SEARCH_EVALUATIONS == 20


def test_every_class_states_its_own_work() -> None:
    works = {key: cls.update_work() for key, cls in OPTIMIZERS.items()}
    assert all(works[key] == UpdateWork() for key in FIRST_ORDER)
    assert works["newton"].hessian_evaluations == 1 and works["lbfgs"].value_evaluations == 20
