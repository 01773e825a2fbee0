"""Pages of the feature apps (calendars, notifications, webhooks, the exception queue).

They live here, above the feature apps, so that sla, notify and integrations import nothing of
the portal: each page calls its app's services and selectors and shares the error mapping,
forms and pagination of apps.portal."""
