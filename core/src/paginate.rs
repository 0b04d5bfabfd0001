//! Auto-pagination over `GET /v1/invoices`.

use std::collections::{HashSet, VecDeque};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::StreamExt;

use crate::client::Client;
use crate::error::Result;
use crate::model::{Invoice, ListInvoicesParams};

/// Every invoice of a listing, page after page. Implements [`Stream`]; or call
/// [`InvoiceStream::next_invoice`]. Invoices seen on an earlier page are skipped, since new
/// invoices shift page boundaries while iterating.
pub struct InvoiceStream {
    inner: Pin<Box<dyn Stream<Item = Result<Invoice>> + Send>>,
}

impl std::fmt::Debug for InvoiceStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InvoiceStream")
    }
}

struct State {
    client: Client,
    params: ListInvoicesParams,
    next_page: Option<u32>,
    buffer: VecDeque<Invoice>,
    seen: HashSet<String>,
}

impl InvoiceStream {
    /// The next invoice, `None` after the last one.
    pub async fn next_invoice(&mut self) -> Option<Result<Invoice>> {
        self.inner.next().await
    }
}

impl Stream for InvoiceStream {
    type Item = Result<Invoice>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl Client {
    /// Streams every invoice matching `params`, fetching pages as needed (from `params.page`,
    /// default 1). An error ends the stream after it is yielded.
    pub fn iter_invoices(&self, params: &ListInvoicesParams) -> InvoiceStream {
        let state = State {
            client: self.clone(),
            params: params.clone(),
            next_page: Some(params.page.unwrap_or(1)),
            buffer: VecDeque::new(),
            seen: HashSet::new(),
        };
        let stream = futures_util::stream::unfold(state, |mut st| async move {
            loop {
                if let Some(inv) = st.buffer.pop_front() {
                    return Some((Ok(inv), st));
                }
                let page = st.next_page?;
                let params = ListInvoicesParams {
                    page: Some(page),
                    ..st.params.clone()
                };
                match st.client.list_invoices(&params).await {
                    Ok(p) => {
                        let got = p.items.len();
                        st.next_page = (p.paging.has_more && got > 0).then_some(page + 1);
                        for inv in p.items {
                            if st.seen.insert(inv.reference_code.clone()) {
                                st.buffer.push_back(inv);
                            }
                        }
                    }
                    Err(e) => {
                        st.next_page = None;
                        return Some((Err(e), st));
                    }
                }
            }
        });
        InvoiceStream {
            inner: Box::pin(stream),
        }
    }
}
