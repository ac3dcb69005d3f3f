"""deploy/monitoring/: the alert rules and the Grafana dashboard parse, and every metric they name
is one the services export (servicekit.metrics, gateway.metrics), with only labels it has."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client.metrics import MetricWrapperBase

import gateway.metrics
import servicekit.metrics

MONITORING = Path(__file__).resolve().parents[2] / "deploy" / "monitoring"
METRIC = re.compile(r"\b(weilinli_[a-z_]+)")
SELECTOR = re.compile(r"(weilinli_[a-z_]+)\{([^}]*)\}")
REQUIRED_ALERTS = {
    "WeilinliDeadLetters",
    "WeilinliOutboxStuck",
    "WeilinliBreakerOpen",
    "WeilinliSlaBreachSpike",
}


def exported() -> dict[str, set[str]]:
    """Every series name the services' metric objects expose (histogram _bucket/_sum/_count,
    counter _total), with their label names."""
    names: dict[str, set[str]] = {}
    for module in (servicekit.metrics, gateway.metrics):
        for metric in vars(module).values():
            if not isinstance(metric, MetricWrapperBase):
                continue
            labels = set(metric._labelnames)
            suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}.get(
                metric._type, [""]
            )
            for suffix in suffixes:
                names[metric._name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    return names


def expressions() -> list[str]:
    rules = yaml.safe_load((MONITORING / "alerts.yaml").read_text())
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    exprs += [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    return exprs


def test_the_rules_alert_on_what_the_issue_asks() -> None:
    rules = yaml.safe_load((MONITORING / "alerts.yaml").read_text())
    alerts = {rule["alert"]: rule for group in rules["groups"] for rule in group["rules"]}
    assert set(alerts) >= REQUIRED_ALERTS
    assert "> 60" in alerts["WeilinliOutboxStuck"]["expr"]
    for rule in alerts.values():
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"]


def test_every_metric_used_is_exported_with_its_labels() -> None:
    series = exported()
    for expr in expressions():
        for name in METRIC.findall(expr):
            assert name in series, (name, expr)
        for name, matchers in SELECTOR.findall(expr):
            for label in re.findall(r"(\w+)\s*=", matchers):
                assert label in series[name], (name, label)
        for grouping in re.findall(r"by \(([^)]*)\)", expr):
            for label in (part.strip() for part in grouping.split(",")):
                assert any(label in series[n] for n in METRIC.findall(expr)), (label, expr)


def test_the_dashboard_is_grafana_json() -> None:
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    assert dashboard["uid"] == "weilinli-ops"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)) >= 10
    for panel in dashboard["panels"]:
        assert panel["targets"]
        assert panel["datasource"]["uid"] == "${datasource}"
