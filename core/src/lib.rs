//! SePay eInvoice client (work in progress).
