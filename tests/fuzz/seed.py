#!/usr/bin/env python3
"""Writes the starting corpora of the fuzz targets into fuzz/corpus/<target>/ (docs/reliability.md#fuzzing).

The committed corpora were made with this script and then minimised with `cargo fuzz cmin`;
run it again only to start over. Seeds: every schedule of Magento's crontab.xml files and of
the cron expression table (service/src/cron/tests_table.rs), Magento's crontab, cron_groups and
queue_consumer files (../shared/magento-reference), and every GraphQL example of
docs/graphql.md, as the JSON body a client would POST.
"""
import hashlib
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
REFERENCE = ROOT.parent / "shared" / "magento-reference"
if not REFERENCE.is_dir():
    REFERENCE = pathlib.Path("/work/shared/magento-reference")
CORPUS = ROOT / "fuzz" / "corpus"


def write(target: str, data: bytes) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def cron_seeds() -> set:
    seeds = set()
    for xml in REFERENCE.glob("crontab/*.xml"):
        seeds.update(m.strip() for m in re.findall(r"<schedule>([^<]*)</schedule>", xml.read_text()))
    table = (ROOT / "service/src/cron/tests_table.rs").read_text()
    seeds.update(re.findall(r'^\s*\("([^"]*)", &\[', table, re.M))
    seeds.update(["@every 10s", "@every 1m30s", "@every 1h", "0 0 31 2 *", "0 0 * * 7", "1,foo * * * *",
                  "jan-dec/2 * * * *", "* * * * * *", "0 2 * * sun", "*/0 * * * *", "\t0\x0b1 * * *"])
    return seeds


def graphql_seeds() -> list:
    docs = (ROOT / "docs/graphql.md").read_text()
    bodies = []
    for block in re.findall(r"```graphql\n(.*?)```", docs, re.S):
        bodies.append(json.dumps({"query": block}))
    bodies.append(json.dumps({"query": "query($f: Int) { jobs(first: $f) { nodes { code lastRun { id } } } }", "variables": {"f": 2}}))
    bodies.append(json.dumps([{"query": "{ me { subject role } }"}, {"query": "{ __typename }"}]))
    bodies.append(json.dumps({"query": "fragment F on Query { me { role } } { ...F }"}))
    return bodies


def main() -> int:
    for expr in sorted(cron_seeds()):
        write("cron_expression", expr.encode())
    for xml in sorted(REFERENCE.glob("crontab/*.xml")) + sorted(REFERENCE.glob("queue/*.queue_consumer.xml")):
        write("magento_xml", xml.read_bytes())
    for i, body in enumerate(graphql_seeds()):
        write("graphql_http", bytes([i % 3]) + body.encode())  # first byte: the role
    for target in ("cron_expression", "magento_xml", "graphql_http"):
        print(target, len(list((CORPUS / target).iterdir())), "seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
