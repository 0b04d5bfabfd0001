from django.urls import path

from invoicing import views

urlpatterns = [
    path("invoices", views.create_invoice),
    path("invoices/<str:reference_code>/pdf", views.invoice_pdf),
]
