#!/usr/bin/env python3
"""Checks the monitoring kit against a running Prometheus that scrapes a running slad.

Usage: monitoring_queries.py PROMETHEUS_URL DASHBOARD_JSON OPERATIONS_MD RULE_COUNT SINCE_UNIX

- every dashboard query (Grafana variables replaced by "all") runs through /api/v1/query_range
  without error and returns at least one number (not NaN) since SINCE_UNIX;
- every template variable finds values;
- Prometheus loaded RULE_COUNT rules from the rules file, evaluated each without error, every
  recording rule produced a series, and every rule expression runs through /api/v1/query;
- no alert is pending or firing (slad demo is healthy);
- every runbook_url points at a heading of docs/operations.md.

Exit 1 with one line per problem. Standard library only.
"""

import json
import math
import re
import sys
import time
import urllib.parse
import urllib.request


def prometheus(base, path, **params):
    url = f"{base}{path}?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            body = json.load(response)
    except urllib.error.HTTPError as error:
        body = json.load(error)
    if body.get("status") != "success":
        raise ValueError(f"{body.get('errorType')}: {body.get('error')}")
    return body["data"]


def grafana_to_promql(expr, range_seconds):
    """What Grafana sends for "All" on every variable, with a 1 s scrape interval."""
    expr = expr.replace("$__rate_interval", "15s").replace("$__interval", "5s")
    expr = expr.replace("$__range", f"{range_seconds}s")
    return re.sub(r"\$\{?(instance|shard)\}?", ".+", expr)


def has_number(result):
    for series in result:
        points = series.get("values") or [series.get("value")]
        if any(point and not math.isnan(float(point[1])) for point in points):
            return True
    return False


def heading_anchors(markdown):
    """GitHub's anchors: lower case, punctuation dropped, spaces to dashes."""
    anchors = set()
    for line in markdown.splitlines():
        match = re.match(r"#{1,6}\s+(.*)", line)
        if match:
            text = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower())
            anchors.add(text.replace(" ", "-"))
    return anchors


def main():
    base, dashboard_path, operations_path, rule_count, since = sys.argv[1:6]
    since = float(since)
    now = time.time()
    range_seconds = max(int(now - since), 1)
    problems = []

    dashboard = json.load(open(dashboard_path))
    queries = 0
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = grafana_to_promql(target["expr"], range_seconds)
            queries += 1
            try:
                data = prometheus(base, "/api/v1/query_range", query=expr, start=since, end=now, step=2)
            except ValueError as error:
                problems.append(f"panel {panel['title']!r} query {target['refId']}: {error}: {expr}")
                continue
            if not has_number(data["result"]):
                problems.append(f"panel {panel['title']!r} query {target['refId']}: no data: {expr}")
    for variable in dashboard["templating"]["list"]:
        if variable["type"] != "query":
            continue
        match = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", variable["query"]["query"])
        if not match:
            problems.append(f"variable {variable['name']}: not label_values(METRIC, LABEL)")
            continue
        selector, label = grafana_to_promql(match.group(1), range_seconds), match.group(2)
        result = prometheus(base, "/api/v1/query", query=f"count by ({label}) ({selector})")["result"]
        if not [r for r in result if r["metric"].get(label)]:
            problems.append(f"variable {variable['name']}: no values of {label} in {selector}")

    rules = [rule for group in prometheus(base, "/api/v1/rules")["groups"] for rule in group["rules"]]
    if len(rules) != int(rule_count):
        problems.append(f"Prometheus loaded {len(rules)} rules, the file has {rule_count}")
    anchors = heading_anchors(open(operations_path).read())
    for rule in rules:
        name = rule["name"]
        if rule["health"] != "ok":
            problems.append(f"rule {name}: {rule['health']}: {rule.get('lastError')}")
        try:
            result = prometheus(base, "/api/v1/query", query=rule["query"])["result"]
        except ValueError as error:
            problems.append(f"rule {name}: {error}")
            continue
        if rule["type"] == "recording" and not has_number(result):
            problems.append(f"recording rule {name}: no data")
        if rule["type"] == "alerting":
            for alert in rule.get("alerts", []):
                problems.append(f"alert {name} is {alert['state']} on a healthy slad demo: {alert['labels']}")
            url = rule["annotations"].get("runbook_url", "")
            anchor = url.partition("#")[2]
            if not url.startswith("file:///usr/share/doc/slad/operations.md#") or anchor not in anchors:
                problems.append(f"alert {name}: runbook_url {url!r} names no heading of {operations_path}")
            if rule["labels"].get("severity") not in ("critical", "warning"):
                problems.append(f"alert {name}: severity label missing")

    for problem in problems:
        print(f"monitoring: {problem}")
    alerts = sum(1 for r in rules if r["type"] == "alerting")
    print(f"monitoring: {queries} dashboard queries, {len(rules)} rules ({alerts} alerts): "
          f"{len(problems)} problems over {range_seconds} s of scrapes")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
