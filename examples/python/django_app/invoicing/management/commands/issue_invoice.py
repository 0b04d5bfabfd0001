"""``python manage.py issue_invoice REFERENCE_CODE``: issues a draft and waits for its number.

``--resume-job JSON`` resumes a wait from a stored ``Job.to_dict()`` (e.g. after a deploy).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

import sepay_einvoice as se

from ...einvoice import get_client


class Command(BaseCommand):
    help = "Issue a draft invoice through SePay eInvoice and wait until it is signed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference_code", nargs="?", help="reference code of the draft")
        parser.add_argument("--resume-job", help="a stored job (JSON from Job.to_dict()) to wait on")
        parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait")

    def handle(self, *args: Any, **options: Any) -> None:
        client = get_client()
        poll = settings.SEPAY_EINVOICE_POLL_INTERVAL

        def progress(status: se.JobStatus) -> None:
            self.stdout.write(f"  {status.state}")

        try:
            if options["resume_job"]:
                job = se.Job.from_dict(json.loads(options["resume_job"]))
                invoice = client.wait_for_status(job, timeout=options["timeout"], poll_interval=poll, on_status=progress)
            elif options["reference_code"]:
                invoice = client.issue_invoice_and_wait(
                    options["reference_code"], timeout=options["timeout"], poll_interval=poll, on_status=progress
                )
            else:
                raise CommandError("give a reference code or --resume-job")
        except se.WaitTimeoutError as err:
            raise CommandError(f"still processing; resume with --resume-job '{json.dumps(err.job.to_dict() if err.job else {})}'")
        except se.SePayError as err:
            raise CommandError(f"{type(err).__name__}: {err}")
        self.stdout.write(
            self.style.SUCCESS(f"issued {invoice.reference_code}: number {invoice.invoice_number}, total {invoice.total_amount}")
        )
