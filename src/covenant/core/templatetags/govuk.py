"""Template tags that render Django forms as GOV.UK Design System components."""

from django import template

register = template.Library()
