"""Stack-per-tenant provisioning: a tenants file, one Pulumi stack per tenant, run through the Automation API.

Modules: ``models`` (the tenants file), ``secrets`` (``env:``/``file:`` references), ``stacks`` (a tenant as
stack config), ``command`` (the Pulumi CLI, with a stdin path for secrets), ``orchestrator`` (parallel
runs), ``runner`` (one tenant's operation), ``retry`` (back-off while another update holds a stack),
``results`` (statuses and the run's report), ``progress`` (the live display), ``outputs`` (what to paste into
each platform), ``program`` (the tenant's program as an in-process function, for mocks and benchmarks).
Import the module you need; this package imports nothing heavy.
"""
