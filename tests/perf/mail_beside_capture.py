"""Invitations mailed while answers are captured: one feedback worker takes answers under wrk
while 10,000 invitations are made through its API and mailed by the sender in its own process
(`cx-feedback send-mail`) to the local SMTP server (`cx-mailbox`, its own process).

  python -m tests.perf.mail_beside_capture [--db sqlite|postgresql] [--invitations 10000]

Reports the time from the first invitation batch until the SMTP server has accepted every
message, and the capture's throughput while that happens against its throughput alone, measured
in turns of the same length before and after (docs/benchmarks.md, "Mail"). Target (issue 17):
10,000 delivered in under 60 s, the capture within 10 % of itself alone.
"""

import argparse
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx

from cxshared.auth import Scope, create_api_key
from cxshared.db import make_engine
from cxshared.logging import configure_logging
from cxshared.testing.databases import DatabaseFactory
from cxshared.testing.processes import ServiceProcess, console_script, free_port
from feedback.main import MIGRATIONS
from tests.perf.case_capture import SCRIPT, SLICE_SECONDS, Runs, _line, _publish, wrk
from tests.perf.mail_bench import _sent, wait_for_port

BATCH = 500
CLIENTS = 32


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--invitations", type=int, default=10_000)
    parser.add_argument("--turns", type=int, default=4, help="turns alone, before and after")
    parser.add_argument(
        "--rate-per-minute", type=int, default=1_000_000, help="the sender's cap (unlimited)"
    )
    args = parser.parse_args()
    os.environ["CX_TEST_DATABASE"] = args.db
    configure_logging(log_format="console", level="WARNING")
    workdir = Path(tempfile.mkdtemp(prefix="cx-mail-capture-"))
    script = workdir / "answers.lua"
    script.write_text(SCRIPT)
    factory = DatabaseFactory(
        service="feedback",
        script_location=MIGRATIONS,
        workdir=workdir,
        worker="bench",
        durable=True,
    )
    smtp_port = free_port()
    mailbox = subprocess.Popen(
        [console_script("cx-mailbox"), "--smtp-port", str(smtp_port), "--http-port",
         str(free_port()), "--dir", str(workdir / "mailbox")],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    processes: list[ServiceProcess] = []
    try:
        wait_for_port(smtp_port)
        url = factory.new_url()
        engine = make_engine(url, pool_size=2)
        key = create_api_key(engine, name="bench", scopes=[Scope.WRITE])[1]
        listen = free_port()
        env = {
            "FEEDBACK_DATABASE_URL": url,
            "LOG_LEVEL": "WARNING",
            "FEEDBACK_RATE_LIMIT_PER_CLIENT": "1000000000",
            "FEEDBACK_RATE_LIMIT_PER_SURVEY": "1000000000",
            "FEEDBACK_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "FEEDBACK_MAIL_FROM": "cxloop surveys <surveys@example.com>",
            "FEEDBACK_PUBLIC_URL": f"http://127.0.0.1:{listen}",
            "FEEDBACK_MAIL_RATE_PER_MINUTE": str(args.rate_per_minute),
            "FEEDBACK_MAIL_SENDER_IN_PROCESS": "false",
        }
        base = f"http://127.0.0.1:{listen}"
        processes.append(
            ServiceProcess(
                [console_script("cx-feedback"), "serve", "--port", str(listen)],
                env=env,
                log_path=workdir / "feedback.log",
                base_url=base,
            ).start()
        )
        processes.append(
            ServiceProcess(
                [console_script("cx-feedback"), "send-mail"],
                env=env,
                log_path=workdir / "sender.log",
            ).start()
        )
        _publish(base, key, rules=False)
        headers = {"Authorization": f"Bearer {key}"}
        survey = httpx.get(f"{base}/v1/surveys", headers=headers).json()["items"][0]
        enabled = httpx.put(
            f"{base}/v1/surveys/{survey['id']}/email",
            headers=headers,
            json={
                "enabled": True,
                "subject_template": "How was your delivery?",
                "text_template": "Hello {{ attributes.first_name }},\n\n{{ link }}\n",
                "reminders": 0,
            },
        )
        enabled.raise_for_status()
        answers = f"{base}/v1/public/surveys/bench/responses"
        wrk(answers, script, clients=CLIENTS, seconds=2, into=None)  # warm up

        alone = Runs()
        for _ in range(args.turns):
            wrk(answers, script, clients=CLIENTS, seconds=SLICE_SECONDS, into=alone)

        def invite() -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
                for first in range(0, args.invitations, BATCH):
                    people = [
                        {"external_id": f"p{n}", "email": f"p{n}@example.com",
                         "attributes": {"first_name": f"Kundin {n} Müller"}}
                        for n in range(first, min(first + BATCH, args.invitations))
                    ]  # fmt: skip
                    made = client.post(
                        f"/v1/surveys/{survey['id']}/invitations", json={"respondents": people}
                    )
                    made.raise_for_status()

        during = Runs()
        delivered_at: list[float] = []

        def watch_delivery() -> None:
            """When the SMTP server has kept the last message (its files, four times a second)."""
            while time.perf_counter() - started < 600:
                if len(os.listdir(workdir / "mailbox")) >= args.invitations:
                    delivered_at.append(time.perf_counter())
                    return
                time.sleep(0.25)

        started = time.perf_counter()
        inviting = threading.Thread(target=invite)
        inviting.start()
        watching = threading.Thread(target=watch_delivery)
        watching.start()
        while not delivered_at and time.perf_counter() - started < 600:
            wrk(answers, script, clients=CLIENTS, seconds=SLICE_SECONDS, into=during)
        watching.join()
        inviting.join()
        seconds = (delivered_at or [time.perf_counter()])[0] - started
        time.sleep(1)  # the sender's last outcomes
        delivered = _sent(engine)
        for _ in range(args.turns):
            wrk(answers, script, clients=CLIENTS, seconds=SLICE_SECONDS, into=alone)
        engine.dispose()
        kept = len(list((workdir / "mailbox").glob("*.eml")))
        print(
            f"mail beside capture on {args.db}, one feedback worker, sender in its own process "
            f"at most {args.rate_per_minute:,} a minute"
        )
        print(
            f"{kept:,} of {args.invitations:,} invitations made and accepted by the SMTP "
            f"server in {seconds:.1f} s ({delivered:,} recorded sent); target under 60 s"
        )
        print(_line("capture alone (before and after)", alone, None))
        print(_line("capture while mailing", during, None))
        print(f"while mailing: {during.rate / alone.rate - 1:+.1%} throughput; target within 10 %")
    finally:
        for process in reversed(processes):
            process.stop()
        mailbox.terminate()
        mailbox.wait(10)
        factory.close()


if __name__ == "__main__":
    main()
