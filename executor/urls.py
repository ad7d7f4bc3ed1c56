from django.urls import path

from executor import views

app_name = "executor"

urlpatterns = [
    path("", views.execution_list, name="execution-list"),
    path("start/", views.execution_start, name="execution-start"),
    path("<int:pk>/", views.execution_detail, name="execution-detail"),
    path("<int:pk>/report.<str:fmt>", views.execution_report, name="execution-report"),
    path("<int:pk>/<str:action>/", views.execution_control, name="execution-control"),
]
