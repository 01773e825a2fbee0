"""A simulated ERP that the invoice-processing demo calls: its mode, its invoices, its call log.

It lives in the WMS database only so that `make run` needs nothing else; nothing in the WMS
reads these tables, it talks to the ERP over HTTP like to any other system.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class DemoSwitch(models.Model):
    """The one row (pk 1) saying how a simulated system of the demo behaves: its `mode` (each
    system its own choices) and who switched it when."""

    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class ErpMode(models.TextChoices):
    OK = "ok", "OK"
    DOWN = "down", "Down"
    SLOW = "slow", "Slow"
    REJECT = "reject", "Rejecting"
    RATE_LIMITED = "rate_limited", "Rate limited"
    GARBAGE = "garbage", "Garbage"


class ErpSettings(DemoSwitch):
    """The one row saying how the ERP behaves (pk 1)."""

    mode = models.CharField(max_length=20, choices=ErpMode.choices, default=ErpMode.OK)

    class Meta:
        verbose_name = "ERP settings"
        verbose_name_plural = "ERP settings"

    def __str__(self) -> str:
        return f"ERP mode {self.mode}"


class ErpInvoice(models.Model):
    """An invoice booked in the ERP. The Idempotency-Key that created it is unique: a repeat of
    the request finds this row and gets `response` again instead of a second invoice."""

    idempotency_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    invoice_number = models.CharField(max_length=100)
    vendor = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    response = models.JSONField(default=dict, help_text="The answer given, repeated for the same key.")
    created = models.DateTimeField(default=timezone.now)
    cancelled = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"ERP-{self.pk:06d}"


class ErpCall(models.Model):
    """One request the ERP received, and what it did."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    idempotency_key = models.CharField(max_length=200, blank=True)
    mode = models.CharField(max_length=20, choices=ErpMode.choices)
    status_code = models.PositiveSmallIntegerField()
    effect = models.BooleanField(default=False, help_text="Whether the call created or cancelled an invoice.")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status_code}"


# --- the demo ticketing system (the it-service-request workflow's "Open ticket" step) ----------------


class TicketDeskMode(models.TextChoices):
    OK = "ok", "OK"
    DOWN = "down", "Down"


class TicketDeskSettings(DemoSwitch):
    """The one row saying whether the demo ticketing system answers (pk 1)."""

    mode = models.CharField(max_length=20, choices=TicketDeskMode.choices, default=TicketDeskMode.OK)

    class Meta:
        verbose_name = "ticket desk settings"
        verbose_name_plural = "ticket desk settings"

    def __str__(self) -> str:
        return f"Ticket desk mode {self.mode}"


class DemoTicket(models.Model):
    """A ticket opened in the demo ticketing system, once per Idempotency-Key."""

    idempotency_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    summary = models.CharField(max_length=200)
    category = models.CharField(max_length=50)
    priority = models.CharField(max_length=20)
    case_ref = models.CharField(max_length=50, blank=True, help_text="The WMS case it was opened for.")
    response = models.JSONField(default=dict, help_text="The answer given, repeated for the same key.")
    created = models.DateTimeField(default=timezone.now)
    closed = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"TCK-{self.pk:06d}"


# --- the demo supplier portal (a legacy web tool with no API: the `ui` step's target) --------------


class SupplierPortalMode(models.TextChoices):
    OK = "ok", "OK"
    CHANGED = "changed", "Changed layout"
    SLOW = "slow", "Slow"


class SupplierPortalSettings(DemoSwitch):
    """The one row saying how the supplier portal behaves (pk 1)."""

    mode = models.CharField(max_length=20, choices=SupplierPortalMode.choices, default=SupplierPortalMode.OK)

    class Meta:
        verbose_name = "supplier portal settings"
        verbose_name_plural = "supplier portal settings"

    def __str__(self) -> str:
        return f"Supplier portal mode {self.mode}"


class SupplierOrder(models.Model):
    """An order someone (or a UI step) typed into the supplier portal.

    NOTE: the PO number is deliberately not unique: a legacy portal takes the same order twice,
    and the duplicate stays visible, which is what a `ui` step's guard must prevent."""

    po_number = models.CharField(max_length=50, db_index=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    note = models.TextField(blank=True, max_length=2000)
    entered_by = models.CharField(max_length=150, help_text="The portal login that entered it.")
    mode = models.CharField(max_length=20, choices=SupplierPortalMode.choices, default=SupplierPortalMode.OK)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"SO-{self.pk:06d}"
