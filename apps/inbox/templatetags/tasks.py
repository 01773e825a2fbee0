"""A task's facts for templates: `{% with info=task|task_facts %}{{ info.label }}{% endwith %}`.

Templates never read `task.data` keys: the engine owns them (apps.cases.taskinfo)."""

from django import template

from apps.cases.taskinfo import task_info

register = template.Library()


@register.filter
def task_facts(task):
    """The TaskInfo of a task (label, kind, decision, message, ...)."""
    return task_info(task)
