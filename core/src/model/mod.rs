//! Typed requests and responses of the SePay eInvoice API.

mod enums;
mod invoice;
mod job;
pub(crate) mod money;
mod page;
mod provider;
mod usage;

pub use enums::{
    BuyerType, Currency, FileType, InvoiceStatus, JobKind, JobState, LineType, PaymentMethod,
    Source, TaxRate,
};
pub use invoice::{Buyer, CreateInvoice, Invoice, InvoiceItem, LineItem};
pub use job::{Job, JobStatus};
pub use page::{ListInvoicesParams, ListParams, Page, Paging};
pub use provider::{InvoiceTemplate, ProviderAccount, ProviderAccountDetail};
pub use usage::{InvoiceFile, Usage};
