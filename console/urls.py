"""Every page of the console (names are used by templates and tests)."""

from __future__ import annotations

from django.urls import path

from console.views import admin, auth, documents, gaps, home, knowledge, preview

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("login/", auth.Login.as_view(), name="login"),
    path("logout/", auth.Logout.as_view(), name="logout"),
    path("password/", auth.password_change, name="password_change"),
    path("knowledge/", knowledge.knowledge_list, name="knowledge_list"),
    path("knowledge/<str:kind>/new/", knowledge.entry_new, name="entry_new"),
    path("knowledge/<str:kind>/<str:key>/", knowledge.entry_edit, name="entry_edit"),
    path("knowledge/<str:kind>/<str:key>/delete/", knowledge.entry_delete, name="entry_delete"),
    path("versions/<int:pk>/restore/", knowledge.version_restore, name="version_restore"),
    path("preview/", preview.preview, name="preview"),
    path("documents/", documents.documents, name="documents"),
    path("documents/<int:pk>/", documents.document_detail, name="document_detail"),
    path("documents/<int:pk>/delete/", documents.document_delete, name="document_delete"),
    path("gaps/", gaps.gaps, name="gaps"),
    path("gaps/export.csv", gaps.gaps_csv, name="gaps_csv"),
    path("gaps/status/", gaps.gaps_status, name="gaps_status"),
    path("audit/", admin.audit_log, name="audit"),
    path("accounts/", admin.accounts, name="accounts"),
    path("accounts/<int:pk>/", admin.account_edit, name="account_edit"),
    path("settings/", admin.console_settings, name="console_settings"),
]

handler404 = "console.views.errors.not_found"
