"""Every page of the console (names are used by templates and tests)."""

from __future__ import annotations

from django.urls import path

from console.views import (
    admin,
    applications,
    auth,
    courses,
    dashboard,
    documents,
    gaps,
    home,
    inbox,
    knowledge,
    preview,
    workers,
)

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
    path("courses/", courses.course_list, name="course_list"),
    path("courses/<str:course_id>/", courses.course_roster, name="course_roster"),
    path("courses/<str:course_id>/reveal/", courses.reveal_phone, name="course_reveal"),
    path("courses/<str:course_id>/cancel/", courses.cancel_enrollment, name="course_cancel"),
    path("courses/<str:course_id>/capacity/", courses.change_capacity, name="course_capacity"),
    path("courses/<str:course_id>/roster.csv", courses.roster_csv, name="roster_csv"),
    path("applications/", applications.application_list, name="application_list"),
    path("applications/batch/", applications.application_batch, name="application_batch"),
    path("applications/<str:number>/", applications.application_detail, name="application_detail"),
    path("applications/<str:number>/decide/", applications.application_decide, name="application_decide"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<int:ticket_id>/", inbox.ticket_detail, name="ticket_detail"),
    path("inbox/<int:ticket_id>/reply/", inbox.ticket_reply, name="ticket_reply"),
    path("inbox/<int:ticket_id>/close/", inbox.ticket_close, name="ticket_close"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("workers/", workers.worker_search, name="worker_search"),
    path("workers/<str:sender_id>/", workers.worker_detail, name="worker_detail"),
    path("workers/<str:sender_id>/delete/", workers.worker_delete, name="worker_delete"),
    path("audit/", admin.audit_log, name="audit"),
    path("accounts/", admin.accounts, name="accounts"),
    path("accounts/<int:pk>/", admin.account_edit, name="account_edit"),
    path("settings/", admin.console_settings, name="console_settings"),
]

handler404 = "console.views.errors.not_found"
