"""Tests that queue Celery tasks send them to a queue of their own, so no other worker on the same broker (a
developer's `make run`, another test run sharing the machine's Redis) takes them; the queue is deleted afterwards.
A test of a broker that does not answer points this process's Celery app at another one for a while."""

import uuid
from contextlib import contextmanager

from kombu import Exchange, Queue

from futuresocial.celery import app as celery_app


def _set_routes(routes):
    celery_app.conf.task_routes = routes
    celery_app.amqp.flush_routes()
    celery_app.amqp.router = celery_app.amqp.Router()


@contextmanager
def own_queue(prefix: str, tasks: str = "compliance.tasks.run_audit"):
    """Route `tasks` (a task name or a glob) to a fresh queue; yields the queue's name."""
    queue = f"{prefix}-{uuid.uuid4().hex[:8]}"
    routes = celery_app.conf.task_routes
    _set_routes({tasks: {"queue": queue}})
    try:
        yield queue
    finally:
        _set_routes(routes)
        with celery_app.connection_for_write() as connection:
            # Declared first so the channel knows its binding: deleting then removes the messages and the binding
            # (a delete alone leaves the queue's keys behind in Redis).
            declared = Queue(queue, Exchange(queue), routing_key=queue)(connection.default_channel)
            declared.declare()
            declared.delete()


@contextmanager
def celery_broker(url):
    """Point this process's Celery app at another broker (and back)."""

    def reset():
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = url
    reset()
    try:
        yield
    finally:
        celery_app.conf.broker_url = previous
        reset()
