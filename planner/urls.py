from django.urls import path

from planner import views

app_name = "planner"

urlpatterns = [
    path("precheck/", views.precheck, name="precheck"),
    path("plans/", views.plan_list, name="plan-list"),
    path("plans/new/", views.plan_new, name="plan-new"),
    path("plans/<int:pk>/", views.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/simulate/", views.plan_simulate, name="plan-simulate"),
    path("plans/<int:pk>/submit/", views.plan_submit, name="plan-submit"),
    path("plans/<int:pk>/approve/", views.plan_approve, name="plan-approve"),
    path("plans/<int:pk>/reject/", views.plan_reject, name="plan-reject"),
    path("plans/<int:pk>/move-host/", views.plan_move_host, name="plan-move-host"),
    path("plans/<int:pk>/replan/", views.plan_replan, name="plan-replan"),
    path("plans/<int:pk>/export.<str:fmt>", views.plan_export, name="plan-export"),
    path("whatif/", views.whatif, name="whatif"),
]
