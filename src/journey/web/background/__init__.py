"""Background work on Django's tasks framework: the worker, progress, schedules.

Report builds, data loads, computations and page warm-ups are tasks (``django_tasks``
with the database backend of ``django_tasks_db``), so they are queued in the database,
run by ``journey worker`` processes, survive a restart of the web server and are safe
with several web and worker processes. See docs/deploy.md.
"""
