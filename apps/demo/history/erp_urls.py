"""The URLs the in-process demo ERP answers (erp.py): the demo ERP's own, nothing else."""

from django.urls import include, path

urlpatterns = [path("demo/", include("apps.demo.urls"))]
