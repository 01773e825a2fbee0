"""Org changes that must not strand work: a deactivated user, a role taken away."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

User = get_user_model()


@receiver(pre_save, sender=User)
def _remember_active(sender, instance, **kwargs):
    if instance.pk:
        instance._was_active = sender.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()


@receiver(post_save, sender=User)
def _reroute_when_deactivated(sender, instance, created, **kwargs):
    if not created and getattr(instance, "_was_active", False) and not instance.is_active:
        from .reassignment import user_tasks_reroute

        user_tasks_reroute(user=instance, reason=f"{instance.username} was deactivated: rerouted.")


@receiver(m2m_changed, sender=User.groups.through)
def _reroute_when_role_removed(sender, instance, action, pk_set, reverse, **kwargs):
    if action != "post_remove" or reverse or not pk_set:
        return
    from .reassignment import user_tasks_reroute

    for name in Group.objects.filter(pk__in=pk_set).values_list("name", flat=True):
        user_tasks_reroute(
            user=instance, role=name, reason=f"{instance.username} left the {name} role: back to its queue."
        )
