from django.shortcuts import render

from apps.definitions.selectors import definitions_published


def home(request):
    return render(request, "home.html", {"workflows": definitions_published()})
