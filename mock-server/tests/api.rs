//! The /v1 API as a client sees it: happy paths, documented errors, jobs and triggers.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::{basic, instant_config, invoice, poll_only_config, raw, Api};
use sepay_einvoice_mock::{MockConfig, ACCOUNT_BKAV, ACCOUNT_MATBAO, ACCOUNT_MIFI};
use serde_json::{json, Value};

#[tokio::test]
async fn token_credentials_and_errors() {
    let api = Api::start(MockConfig::default()).await;
    let r = raw(api.addr, "POST", "/v1/token", &[], None).await.unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (400, "BAD_REQUEST"));
    let r = raw(
        api.addr,
        "POST",
        "/v1/token",
        &[("Authorization", "Basic %%%not-base64")],
        None,
    )
    .await
    .unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (400, "BAD_REQUEST"));
    let wrong = basic("mock_client_id", "nope");
    let r = raw(
        api.addr,
        "POST",
        "/v1/token",
        &[("Authorization", &wrong)],
        None,
    )
    .await
    .unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (401, "UNAUTHORIZED"));
    assert_eq!(
        r.error_message(),
        "Sai thông tin client_id hoặc client_secret."
    );

    let good = basic("mock_client_id", "mock_client_secret");
    let r = raw(
        api.addr,
        "POST",
        "/v1/token",
        &[("Authorization", &good)],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["success"], json!(true));
    assert_eq!(v["data"]["token_type"], "Bearer");
    assert_eq!(v["data"]["expires_in"], 86400);
    let second = v["data"]["access_token"].as_str().unwrap().to_string();
    assert!(second.len() >= 32);
    assert_ne!(second, api.token);
    // Both tokens work at once.
    assert_eq!(api.get("/v1/usage").await.status, 200);
    let r = raw(
        api.addr,
        "GET",
        "/v1/usage",
        &[("Authorization", &format!("Bearer {second}"))],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn bearer_required_and_request_ids() {
    let api = Api::start(MockConfig::default()).await;
    let r = raw(api.addr, "GET", "/v1/usage", &[], None).await.unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (401, "UNAUTHORIZED"));
    let r = raw(
        api.addr,
        "GET",
        "/v1/invoices",
        &[("Authorization", "Bearer not-a-token")],
        None,
    )
    .await
    .unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (401, "UNAUTHORIZED"));

    let mut ids = HashSet::new();
    for _ in 0..20 {
        let r = api.get("/v1/usage").await;
        let id = r.header("x-request-id").expect("X-Request-Id").to_string();
        assert!(id.starts_with("req_") && id.len() == 20, "{id}");
        assert!(id[4..].chars().all(|c| c.is_ascii_hexdigit()));
        ids.insert(id);
    }
    assert_eq!(ids.len(), 20);
    // Errors and control routes carry one too.
    let r = raw(api.addr, "GET", "/nope", &[], None).await.unwrap();
    assert!(r.header("x-request-id").is_some());
    assert!(api
        .control("GET", "/_mock/stats", None)
        .await
        .header("x-request-id")
        .is_some());
}

#[tokio::test]
async fn unknown_route_wrong_method_bad_json() {
    let api = Api::start(MockConfig::default()).await;
    let r = api.get("/v1/does-not-exist").await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "NOT_FOUND"));
    let r = api.get("/v1/token").await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (405, "METHOD_NOT_ALLOWED")
    );
    let r = raw(
        api.addr,
        "DELETE",
        "/v1/invoices",
        &[("Authorization", &api.bearer())],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 405);
    let r = raw(
        api.addr,
        "POST",
        "/v1/invoices/create",
        &[("Authorization", &api.bearer())],
        Some(b"{\"template_code\": "),
    )
    .await
    .unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (400, "BAD_REQUEST"));
}

#[tokio::test]
async fn provider_accounts_list_and_detail() {
    let api = Api::start(MockConfig::default()).await;
    let v = api.get("/v1/provider-accounts").await.json();
    assert!(v.get("success").is_none(), "list has no success key: {v}");
    assert_eq!(
        v["data"]["paging"],
        json!({"per_page":20,"total":3,"has_more":false,"current_page":1,"page_count":1})
    );
    let items = v["data"]["items"].as_array().unwrap();
    assert_eq!(items[0]["id"], ACCOUNT_MATBAO);
    assert_eq!(items[0]["provider"], "matbao");
    assert_eq!(items[0]["active"], true);
    assert_eq!(items[0]["tax_authority_approved_date"], Value::Null);
    assert_eq!(items[1]["tax_authority_approved_date"], "2026-04-20");
    assert_eq!(items[2]["active"], false);

    let v = api
        .get("/v1/provider-accounts?page=2&per_page=2")
        .await
        .json();
    assert_eq!(v["data"]["items"].as_array().unwrap().len(), 1);
    assert_eq!(v["data"]["paging"]["has_more"], false);
    assert_eq!(v["data"]["paging"]["page_count"], 2);
    let v = api.get("/v1/provider-accounts?per_page=2").await.json();
    assert_eq!(v["data"]["paging"]["has_more"], true);
    for bad in ["per_page=0", "per_page=101", "page=0", "page=x"] {
        let r = api.get(&format!("/v1/provider-accounts?{bad}")).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (400, "BAD_REQUEST"),
            "{bad}"
        );
    }

    let v = api
        .get(&format!("/v1/provider-accounts/{ACCOUNT_MATBAO}"))
        .await
        .json();
    assert_eq!(v["success"], true);
    let templates = v["data"]["templates"].as_array().unwrap();
    // The four fixed templates come first; the current year's series follow (see
    // corrections.rs for those).
    assert!(templates.len() >= 4, "{templates:?}");
    assert_eq!(templates[3]["invoice_series"], "C25HTV");
    assert_eq!(
        templates[0],
        json!({"template_code":"1","invoice_series":"C26TSE","invoice_label":"1 - C26TSE - Hóa đơn giá trị gia tăng"})
    );
    let r = api.get("/v1/provider-accounts/nope").await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "NOT_FOUND"));
}

#[tokio::test]
async fn success_key_everywhere_switch() {
    let api = Api::start(MockConfig {
        success_key_everywhere: true,
        ..MockConfig::default()
    })
    .await;
    for path in ["/v1/provider-accounts", "/v1/invoices", "/v1/usage"] {
        assert_eq!(api.get(path).await.json()["success"], true, "{path}");
    }
    api.control(
        "POST",
        "/_mock/config",
        Some(&json!({"success_key_everywhere": false})),
    )
    .await;
    let v = api.get("/v1/usage").await.json();
    assert!(v.get("success").is_none());
    assert_eq!(v["data"]["quota_remaining"], "1000");
}

#[tokio::test]
async fn create_validation_names_the_field() {
    let api = Api::start(instant_config()).await;
    type Mutate = fn(&mut Value);
    let cases: Vec<(&str, Mutate)> = vec![
        ("template_code", |v| {
            v.as_object_mut().unwrap().remove("template_code");
        }),
        ("invoice_series", |v| v["invoice_series"] = json!("")),
        ("issued_date", |v| v["issued_date"] = json!("2026-05-02")),
        ("issued_date", |v| {
            v["issued_date"] = json!("2026-5-2 08:00:00")
        }),
        ("issued_date", |v| {
            v["issued_date"] = json!("2026-02-30 08:00:00")
        }),
        ("issued_date", |v| {
            v["issued_date"] = json!("2999-01-01 08:00:00")
        }),
        ("currency", |v| v["currency"] = json!("EUR")),
        ("provider_account_id", |v| {
            v["provider_account_id"] = json!("00000000-0000-0000-0000-000000000000")
        }),
        ("provider_account_id", |v| {
            v.as_object_mut().unwrap().remove("provider_account_id");
        }),
        ("buyer", |v| {
            v.as_object_mut().unwrap().remove("buyer");
        }),
        ("buyer", |v| v["buyer"] = json!("ABC")),
        ("buyer.type", |v| v["buyer"]["type"] = json!("alien")),
        ("buyer.email", |v| v["buyer"]["email"] = json!(12)),
        ("items", |v| v["items"] = json!([])),
        ("items", |v| {
            v.as_object_mut().unwrap().remove("items");
        }),
        ("items[0].line_number", |v| {
            v["items"][0].as_object_mut().unwrap().remove("line_number");
        }),
        ("items[0].line_number", |v| {
            v["items"][0]["line_number"] = json!(1.5)
        }),
        ("items[0].line_type", |v| {
            v["items"][0]["line_type"] = json!(5)
        }),
        ("items[0].item_name", |v| {
            v["items"][0]["item_name"] = json!("")
        }),
        ("items[0].quantity", |v| {
            v["items"][0]["quantity"] = json!(1.234)
        }),
        ("items[0].quantity", |v| {
            v["items"][0]["quantity"] = json!(-1)
        }),
        ("items[0].unit_price", |v| {
            v["items"][0]["unit_price"] = json!("abc")
        }),
        ("items[0].tax_rate", |v| {
            v["items"][0]["tax_rate"] = json!(7)
        }),
        ("items[0].discount_amount", |v| {
            v["items"][0]["discount_amount"] = json!(true)
        }),
        ("payment_method", |v| v["payment_method"] = json!("BITCOIN")),
        ("total_amount", |v| v["total_amount"] = json!(100000.5)),
        ("is_draft", |v| v["is_draft"] = json!("yes")),
        ("reference_code", |v| v["reference_code"] = json!(42)),
        ("items", |v| {
            v["items"][0]["quantity"] = json!(1e28);
            v["items"][0]["unit_price"] = json!(1e28);
        }),
    ];
    for (i, (field, mutate)) in cases.into_iter().enumerate() {
        let mut body = invoice(&format!("val-{i}"), true);
        mutate(&mut body);
        let r = api.post("/v1/invoices/create", &body).await;
        assert_eq!(r.status, 400, "case {i} ({field}): {}", r.text());
        assert_eq!(r.error_code(), "BAD_REQUEST");
        let msg = r.error_message();
        assert!(
            msg.contains(&format!("({field})")),
            "case {i}: message {msg:?} should name {field}"
        );
    }
    // The second item is addressed by its index.
    let mut body = invoice("val-idx", true);
    body["items"] = json!([
        {"line_number": 1, "line_type": 1, "item_name": "A", "quantity": 1, "unit_price": 1},
        {"line_number": 2, "line_type": 9, "item_name": "B"}
    ]);
    let r = api.post("/v1/invoices/create", &body).await;
    assert_eq!(
        r.error_message(),
        "Trường items[1].line_type không hợp lệ (items[1].line_type)"
    );
    // Nothing was stored by the rejected requests.
    assert_eq!(api.stats().await["jobs"], 0);
}

#[tokio::test]
async fn create_accepts_official_sample_quirks() {
    let api = Api::start(instant_config()).await;
    let mut body = invoice("quirks", true);
    body["seller_store_code"] = json!("CH01");
    body["seller_store_name"] = json!("Cửa hàng 1");
    body["total_amount"] = json!(4950000);
    body["items"] = json!([
        {"line_number": 1, "line_type": 1, "item_code": "SP001", "item_name": "Sản phẩm A", "unit": "cái",
         "quantity": 10, "unit_price": 100000, "tax_rate": 10, "discount_tax": 10, "discount_amount": 100000},
        {"line_number": 1, "line_type": 3, "item_name": "Chiết khấu thương mại", "tax_rate": 10,
         "before_discount_and_tax_amount": 100000},
        {"line_number": 2, "line_type": 3, "item_name": "Chiết khấu cũ", "amount": 50000},
        {"line_number": 3, "line_type": 4, "item_name": "Hàng tặng không thu tiền"},
        {"line_number": 4, "line_type": 2, "item_code": "KM001", "item_name": "Hàng KM", "unit": "cái",
         "quantity": 1, "unit_price": 0}
    ]);
    let tc = api.create(&body).await;
    assert_eq!(api.wait("create", &tc).await["status"], "Success");
    let d = api.get("/v1/invoices/quirks").await.json()["data"].clone();
    assert_eq!(d["seller_store_code"], "CH01");
    // 1000000 - 100000 (amount wins) - 100000 - 50000 = 750000; tax 90000 - 10000 = 80000
    assert_eq!(d["total_before_tax"], 750000);
    assert_eq!(d["tax_amount"], 80000);
    assert_eq!(d["total_amount"], 4950000, "client total is used as-is");
    let items = d["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert_eq!(items[0]["total_amount"], "900000.00");
    assert_eq!(items[0]["discount_amount"], "100000.00");
    assert_eq!(items[0]["discount_tax"], "10.00");
    assert_eq!(items[1]["total_amount"], "-100000.00");
    assert_eq!(items[1]["tax_amount"], "-10000.00");
    assert_eq!(items[2]["amount"], "50000.00");
    assert_eq!(items[3]["tax_rate"], Value::Null);
    assert_eq!(items[3]["tax_amount"], "0.00");
    assert_eq!(items[4]["total_amount"], "0.00");
}

#[tokio::test]
async fn create_is_pending_then_succeeds_after_one_poll() {
    let api = Api::start(poll_only_config(1)).await;
    let mut body = invoice("ignored", true);
    body.as_object_mut().unwrap().remove("reference_code");
    let r = api.post("/v1/invoices/create", &body).await;
    assert_eq!(r.status, 200);
    let d = r.json()["data"].clone();
    let tc = d["tracking_code"].as_str().unwrap().to_string();
    assert_eq!(
        d["tracking_url"],
        format!("http://{}/v1/invoices/create/check/{tc}", api.addr)
    );
    assert_eq!(d["message"], "Đã tạo yêu cầu xuất bán hóa đơn điện tử");

    let first = api
        .get(&format!("/v1/invoices/create/check/{tc}"))
        .await
        .json();
    assert_eq!(first["success"], true);
    assert_eq!(first["data"]["status"], "Pending");
    assert_eq!(first["data"]["invoice"], Value::Null);
    let reference = first["data"]["reference_code"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(reference, tc, "tracking code differs from reference code");
    assert_eq!(reference.len(), 36, "generated UUID: {reference}");
    // Not visible while pending.
    assert_eq!(
        api.get(&format!("/v1/invoices/{reference}")).await.status,
        404
    );

    let second = api
        .get(&format!("/v1/invoices/create/check/{tc}"))
        .await
        .json();
    assert_eq!(second["data"]["status"], "Success");
    let inv = &second["data"]["invoice"];
    assert_eq!(inv["reference_code"], reference.as_str());
    assert_eq!(inv["status"], "draft");
    assert_eq!(inv["invoice_number"], "0");
    assert_eq!(inv["xml_url"], Value::Null);
    assert_eq!(inv["issued_date"], "2026-05-02");
    assert_eq!(inv["source"], "api");
    assert_eq!(
        inv["pdf_url"],
        format!("http://{}/_mock/files/{reference}.pdf", api.addr)
    );
    assert_eq!(
        inv["buyer"],
        json!({"type":"company","name":"Công ty ABC","tax_code":"0101234567",
               "address":"123 Đường A, Quận B, Hà Nội","email":"buyer@example.com"})
    );
    assert_eq!(
        (
            &inv["total_before_tax"],
            &inv["tax_amount"],
            &inv["total_amount"]
        ),
        (&json!(200000), &json!(20000), &json!(220000))
    );
    assert_eq!(
        api.get(&format!("/v1/invoices/{reference}")).await.status,
        200
    );
}

#[tokio::test]
async fn pending_polls_count_is_configurable() {
    let api = Api::start(poll_only_config(3)).await;
    let tc = api.create(&invoice("three", true)).await;
    let path = format!("/v1/invoices/create/check/{tc}");
    for _ in 0..3 {
        assert_eq!(api.get(&path).await.json()["data"]["status"], "Pending");
    }
    assert_eq!(api.get(&path).await.json()["data"]["status"], "Success");
}

#[tokio::test]
async fn pending_time_completes_jobs_nobody_polls() {
    let api = Api::start(MockConfig {
        pending_polls: 1000,
        pending_time: Duration::from_millis(200),
        ..MockConfig::default()
    })
    .await;
    let tc = api.create(&invoice("timed", true)).await;
    assert_eq!(api.get("/v1/invoices/timed").await.status, 404);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Never polled, yet visible in detail and list.
    let r = api.get("/v1/invoices/timed").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["data"]["status"], "draft");
    let list = api.get("/v1/invoices?source=api").await.json();
    assert_eq!(list["data"]["items"][0]["reference_code"], "timed");
    let check = api
        .get(&format!("/v1/invoices/create/check/{tc}"))
        .await
        .json();
    assert_eq!(check["data"]["status"], "Success");
}

#[tokio::test]
async fn detail_fields_and_string_item_amounts() {
    let api = Api::start(instant_config()).await;
    api.draft("detail-1").await;
    let v = api.get("/v1/invoices/detail-1").await.json();
    assert_eq!(v["success"], true);
    let d = &v["data"];
    assert_eq!(d["invoice_series"], "C26TSE");
    assert_eq!(d["template_code"], "1");
    assert_eq!(d["currency"], "VND");
    assert_eq!(d["document_type"], 1);
    assert_eq!(d["provider_status"], "1");
    assert_eq!(d["payment_method"], "CK");
    assert_eq!(d["provider_account_id"], ACCOUNT_MATBAO);
    assert!(d.get("tax_authority_code").is_none());
    assert_eq!(
        d["items"][0],
        json!({"line_number":1,"line_type":1,"item_code":"SP001","item_name":"Sản phẩm A","unit":"cái",
               "quantity":"2.00","unit_price":"100000.00","total_amount":"200000.00",
               "tax_rate":"10.00","tax_amount":"20000.00"})
    );

    // USD keeps cents; totals stay JSON numbers.
    let mut body = invoice("usd-1", true);
    body["currency"] = json!("USD");
    body["items"] = json!([{"line_number":1,"line_type":1,"item_name":"Widget","quantity":1.5,
                             "unit_price":10.33,"tax_rate":8}]);
    let tc = api.create(&body).await;
    api.wait("create", &tc).await;
    let d = api.get("/v1/invoices/usd-1").await.json()["data"].clone();
    // 15.495 -> 15.50; tax 1.2396 -> 1.24
    assert_eq!(d["total_before_tax"], json!(15.5));
    assert_eq!(d["tax_amount"], json!(1.24));
    assert_eq!(d["total_amount"], json!(16.74));
    assert_eq!(d["items"][0]["quantity"], "1.50");
    assert_eq!(d["items"][0]["tax_rate"], "8.00");

    let r = api.get("/v1/invoices/unknown-ref").await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "NOT_FOUND"));
}

#[tokio::test]
async fn issue_flow_numbers_codes_and_quota() {
    let api = Api::start(poll_only_config(1)).await;
    for r in ["iss-1", "iss-2", "iss-3"] {
        let tc = api.create(&invoice(r, true)).await;
        api.wait("create", &tc).await;
    }
    let mut other = invoice("iss-other", true);
    other["template_code"] = json!("2");
    other["invoice_series"] = json!("C26TSP");
    let tc = api.create(&other).await;
    api.wait("create", &tc).await;
    assert_eq!(api.quota().await, "1000", "drafts spend no quota");

    // Issue of a draft: Pending first, then Success.
    let r = api
        .post("/v1/invoices/issue", &json!({"reference_code": "iss-1"}))
        .await;
    assert_eq!(r.status, 200);
    let d = r.json()["data"].clone();
    let tc = d["tracking_code"].as_str().unwrap().to_string();
    assert_eq!(
        d["tracking_url"],
        format!("http://{}/v1/invoices/issue/check/{tc}", api.addr)
    );
    // A second issue while the first is pending is refused.
    let r = api
        .post("/v1/invoices/issue", &json!({"reference_code": "iss-1"}))
        .await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "BAD_REQUEST"));
    assert_eq!(r.error_message(), "Chỉ phát hành được hóa đơn nháp");
    let path = format!("/v1/invoices/issue/check/{tc}");
    assert_eq!(api.get(&path).await.json()["data"]["status"], "Pending");
    let done = api.get(&path).await.json()["data"].clone();
    assert_eq!(done["status"], "Success");
    assert_eq!(done["message"], "Xuất bán hóa đơn điện tử thành công");
    assert_eq!(done["invoice"]["status"], "issued");
    assert_eq!(done["invoice"]["invoice_number"], "1");
    assert_eq!(
        done["invoice"]["xml_url"],
        format!("http://{}/_mock/files/iss-1.xml", api.addr)
    );
    assert_eq!(api.quota().await, "999");

    let d = api.get("/v1/invoices/iss-1").await.json()["data"].clone();
    assert_eq!(d["document_type"], 2);
    assert_eq!(d["provider_status"], "4");
    let code = d["tax_authority_code"].as_str().unwrap();
    assert!(
        code.starts_with("M1-26-") && code.ends_with("-00000000001"),
        "{code}"
    );
    assert_eq!(code.len(), "M1-26-ABCDE-00000000001".len());

    // Numbers run per (account, series).
    assert_eq!(api.issue("iss-2").await["invoice"]["invoice_number"], "2");
    assert_eq!(
        api.issue("iss-other").await["invoice"]["invoice_number"],
        "1"
    );
    assert_eq!(api.quota().await, "997");

    let r = api
        .post("/v1/invoices/issue", &json!({"reference_code": "iss-1"}))
        .await;
    assert_eq!(r.error_message(), "Chỉ phát hành được hóa đơn nháp");
    let r = api
        .post("/v1/invoices/issue", &json!({"reference_code": "nope"}))
        .await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "NOT_FOUND"));
    assert_eq!(r.error_message(), "Không tìm thấy hóa đơn nháp");
    let r = api.post("/v1/invoices/issue", &json!({})).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "BAD_REQUEST"));
    assert!(r.error_message().contains("reference_code"));

    // A draft whose create job has not completed cannot be issued yet.
    api.create(&invoice("iss-pending", true)).await;
    let r = api
        .post(
            "/v1/invoices/issue",
            &json!({"reference_code": "iss-pending"}),
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn the_detail_answer_follows_every_change_of_the_invoice() {
    // The detail answer is cached per invoice state: a change must show at once.
    let api = Api::start(poll_only_config(0)).await;
    let tc = api.create(&invoice("cached-1", true)).await;
    api.wait("create", &tc).await;
    let first = api.get("/v1/invoices/cached-1").await.json()["data"].clone();
    assert_eq!(first["status"], "draft");
    assert_eq!(api.get("/v1/invoices/cached-1").await.json()["data"], first);
    api.issue("cached-1").await;
    let issued = api.get("/v1/invoices/cached-1").await.json()["data"].clone();
    assert_eq!(issued["status"], "issued");
    assert_eq!(issued["invoice_number"], "1");
    let r = api
        .post("/_mock/invoices/cached-1/cancel", &json!({}))
        .await;
    assert_eq!(r.status, 200);
    let cancelled = api.get("/v1/invoices/cached-1").await.json()["data"].clone();
    assert_ne!(cancelled, issued);
    assert_eq!(cancelled, r.json());
}

#[tokio::test]
async fn create_not_draft_issues_directly() {
    let api = Api::start(instant_config()).await;
    let tc = api.create(&invoice("direct", false)).await;
    let d = api.wait("create", &tc).await;
    assert_eq!(d["status"], "Success");
    assert_eq!(d["invoice"]["status"], "issued");
    assert_eq!(d["invoice"]["invoice_number"], "1");
    assert_eq!(api.quota().await, "999");
}

#[tokio::test]
async fn quota_is_spent_by_issuance_only() {
    let api = Api::start(MockConfig {
        quota: 1,
        ..instant_config()
    })
    .await;
    api.draft("q-1").await;
    api.draft("q-2").await;
    assert_eq!(api.quota().await, "1");
    assert_eq!(api.issue("q-1").await["status"], "Success");
    assert_eq!(api.quota().await, "0");
    let r = api
        .post("/v1/invoices/issue", &json!({"reference_code": "q-2"}))
        .await;
    assert_eq!((r.status, r.error_code().as_str()), (403, "QUOTA_EXCEEDED"));
    let r = api
        .post("/v1/invoices/create", &invoice("q-3", false))
        .await;
    assert_eq!((r.status, r.error_code().as_str()), (403, "QUOTA_EXCEEDED"));
    // Drafts are still fine at quota 0.
    api.draft("q-4").await;
    assert_eq!(api.stats().await["quota_remaining"], 0);
}

#[tokio::test]
async fn account_registration_rules() {
    let api = Api::start(instant_config()).await;
    // bkav: approved 2026-04-20.
    let mut early = invoice("bkav-early", false);
    early["provider_account_id"] = json!(ACCOUNT_BKAV);
    early["invoice_series"] = json!("C26TAA");
    early["issued_date"] = json!("2026-03-01 10:00:00");
    let r = api.post("/v1/invoices/create", &early).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (422, "INVOICE_DATE_BEFORE_TAX_APPROVAL")
    );
    assert_eq!(
        r.error_message(),
        "Ngày hóa đơn trước ngày CQT duyệt. Xem tax_authority_approved_date trong GET /v1/provider-accounts."
    );
    early["is_draft"] = json!(true);
    let tc = api.create(&early).await;
    assert_eq!(api.wait("create", &tc).await["status"], "Success");
    let r = api
        .post(
            "/v1/invoices/issue",
            &json!({"reference_code": "bkav-early"}),
        )
        .await;
    assert_eq!(r.error_code(), "INVOICE_DATE_BEFORE_TAX_APPROVAL");
    let mut late = early.clone();
    late["reference_code"] = json!("bkav-late");
    late["issued_date"] = json!("2026-04-20 00:00:00");
    late["is_draft"] = json!(false);
    let tc = api.create(&late).await;
    assert_eq!(api.wait("create", &tc).await["invoice"]["status"], "issued");

    // mifi: inactive, drafts only.
    let mut mifi = invoice("mifi-1", false);
    mifi["provider_account_id"] = json!(ACCOUNT_MIFI);
    let r = api.post("/v1/invoices/create", &mifi).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (422, "REGISTRATION_NOT_TAX_APPROVED")
    );
    mifi["is_draft"] = json!(true);
    let tc = api.create(&mifi).await;
    assert_eq!(api.wait("create", &tc).await["status"], "Success");
    let r = api
        .post("/v1/invoices/issue", &json!({"reference_code": "mifi-1"}))
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (422, "REGISTRATION_NOT_TAX_APPROVED")
    );
}

#[tokio::test]
async fn duplicate_reference_is_409_and_counted() {
    let api = Api::start(poll_only_config(1)).await;
    let tc = api.create(&invoice("dup", true)).await;
    // While pending…
    let r = api.post("/v1/invoices/create", &invoice("dup", true)).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "EINVOICE_DOCUMENT_EXISTED")
    );
    assert_eq!(
        r.error_message(),
        "Hệ thống đã ghi nhận hoá đơn cho mã tham chiếu này. reference_code phải là duy nhất."
    );
    api.wait("create", &tc).await;
    // …and once stored.
    let r = api
        .post("/v1/invoices/create", &invoice("dup", false))
        .await;
    assert_eq!(r.status, 409);
    let s = api.stats().await;
    assert_eq!(s["rejected_duplicates"], 2);
    assert_eq!(s["requests"]["create_invoice"]["409"], 2);
    assert_eq!(s["jobs"], 1);
}

#[tokio::test]
async fn trigger_fail_frees_the_reference() {
    let api = Api::start(instant_config()).await;
    let mut body = invoice("fails", true);
    body["notes"] = json!("please [mock:fail] this");
    let tc = api.create(&body).await;
    let d = api.wait("create", &tc).await;
    assert_eq!(d["status"], "Failed");
    assert_eq!(d["message"], "Thông tin người mua không hợp lệ (mock:fail)");
    assert_eq!(d["invoice"], Value::Null);
    assert_eq!(d["reference_code"], "fails");
    assert_eq!(api.get("/v1/invoices/fails").await.status, 404);
    // Same reference_code may be used again after a Failed create.
    let tc = api.create(&invoice("fails", true)).await;
    assert_eq!(api.wait("create", &tc).await["status"], "Success");
}

#[tokio::test]
async fn trigger_fail_issue_keeps_the_draft() {
    let api = Api::start(instant_config()).await;
    let mut body = invoice("sign-fails", true);
    body["notes"] = json!("[mock:fail-issue]");
    let tc = api.create(&body).await;
    assert_eq!(api.wait("create", &tc).await["status"], "Success");
    let d = api.issue("sign-fails").await;
    assert_eq!(d["status"], "Failed");
    assert_eq!(d["message"], "Ký số hóa đơn thất bại (mock:fail-issue)");
    assert_eq!(d["invoice"], Value::Null);
    let inv = api.get("/v1/invoices/sign-fails").await.json()["data"].clone();
    assert_eq!(inv["status"], "draft");
    assert_eq!(api.quota().await, "1000");
    // It may be issued again (and fails again).
    assert_eq!(api.issue("sign-fails").await["status"], "Failed");

    // Direct issuance with the trigger: created as a draft, signing failed.
    let mut body = invoice("sign-fails-direct", false);
    body["notes"] = json!("[mock:fail-issue]");
    let tc = api.create(&body).await;
    let d = api.wait("create", &tc).await;
    assert_eq!(d["status"], "Failed");
    assert_eq!(d["message"], "Ký số hóa đơn thất bại (mock:fail-issue)");
    let inv = api.get("/v1/invoices/sign-fails-direct").await.json()["data"].clone();
    assert_eq!(inv["status"], "draft");
}

#[tokio::test]
async fn trigger_stuck_stays_pending() {
    let api = Api::start(instant_config()).await;
    let mut body = invoice("stuck", true);
    body["notes"] = json!("[mock:stuck]");
    let tc = api.create(&body).await;
    for _ in 0..5 {
        let d = api
            .get(&format!("/v1/invoices/create/check/{tc}"))
            .await
            .json();
        assert_eq!(d["data"]["status"], "Pending");
    }
    assert_eq!(api.get("/v1/invoices/stuck").await.status, 404);
    assert_eq!(api.stats().await["pending_jobs"], 1);
}

#[tokio::test]
async fn check_endpoints_reject_unknown_and_wrong_kind() {
    let api = Api::start(instant_config()).await;
    let tc = api.create(&invoice("kinds", true)).await;
    let r = api.get(&format!("/v1/invoices/issue/check/{tc}")).await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "NOT_FOUND"));
    let r = api.get("/v1/invoices/create/check/unknown").await;
    assert_eq!(r.status, 404);
    let issue = api.issue_tc("kinds").await;
    let r = api.get(&format!("/v1/invoices/create/check/{issue}")).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn list_pagination_order_and_source_filter() {
    let api = Api::start(instant_config()).await;
    for i in 0..12 {
        api.draft(&format!("list-{i:02}")).await;
    }
    let v = api.get("/v1/invoices").await.json();
    assert!(v.get("success").is_none());
    assert_eq!(
        v["data"]["paging"],
        json!({"per_page":10,"total":15,"has_more":true,"current_page":1,"page_count":2})
    );
    let items = v["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 10);
    assert_eq!(items[0]["reference_code"], "list-11", "newest first");
    assert!(items[0].get("items").is_none(), "list items carry no lines");

    let v = api.get("/v1/invoices?page=2").await.json();
    let items = v["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert_eq!(v["data"]["paging"]["has_more"], false);
    assert_eq!(
        items[4]["source"], "manual",
        "seeded invoices are the oldest"
    );

    let v = api.get("/v1/invoices?page=3").await.json();
    assert_eq!(v["data"]["items"], json!([]));
    assert_eq!(v["data"]["paging"]["has_more"], false);

    let v = api
        .get("/v1/invoices?source=manual&per_page=100")
        .await
        .json();
    let items = v["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for it in items {
        assert_eq!(it["source"], "manual");
        assert_eq!(it["status"], "issued");
    }
    let v = api
        .get("/v1/invoices?source=api&per_page=5&page=3")
        .await
        .json();
    assert_eq!(v["data"]["paging"]["total"], 12);
    assert_eq!(v["data"]["items"].as_array().unwrap().len(), 2);
    for bad in ["source=web", "per_page=101", "per_page=0", "page=0"] {
        let r = api.get(&format!("/v1/invoices?{bad}")).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (400, "BAD_REQUEST"),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn manual_invoices_follow_the_seed() {
    async fn refs(seed: u64) -> Vec<Value> {
        let api = Api::start(MockConfig {
            seed,
            manual_invoices: 4,
            ..MockConfig::default()
        })
        .await;
        let v = api.get("/v1/invoices?source=manual").await.json();
        v["data"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["reference_code"].clone())
            .collect()
    }
    let a = refs(7).await;
    assert_eq!(a.len(), 4);
    assert_eq!(a, refs(7).await);
    assert_ne!(a, refs(8).await);
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// Header, trailer and byte offsets: `startxref` points at the xref table, and every entry at
/// its object. Works on bytes, since the binary comment line is not UTF-8.
fn check_pdf(bytes: &[u8]) {
    assert!(bytes.starts_with(b"%PDF-1.4"), "PDF header");
    assert!(bytes.trim_ascii_end().ends_with(b"%%EOF"), "PDF trailer");
    let sx = find(bytes, b"startxref").unwrap();
    let tail = String::from_utf8_lossy(&bytes[sx + 9..]).into_owned();
    let offset: usize = tail.split_whitespace().next().unwrap().parse().unwrap();
    assert!(bytes[offset..].starts_with(b"xref"), "startxref offset");
    let table = String::from_utf8_lossy(&bytes[offset..sx]).into_owned();
    let entries: Vec<&str> = table.lines().skip(3).take(5).collect();
    assert_eq!(entries.len(), 5);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.len() + 1, 20, "xref entries are 20 bytes");
        let off: usize = e[..10].parse().unwrap();
        assert!(
            bytes[off..].starts_with(format!("{} 0 obj", i + 1).as_bytes()),
            "object {} offset",
            i + 1
        );
    }
    assert!(find(bytes, b"/Count 1").is_some());
}

#[tokio::test]
async fn download_pdf_and_xml() {
    let api = Api::start(instant_config()).await;
    let create_tc = api.create(&invoice("dl", true)).await;
    api.wait("create", &create_tc).await;
    let r = api.get("/v1/invoices/dl/download?type=pdf").await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "BAD_REQUEST"));
    assert_eq!(r.error_message(), "Hóa đơn chưa được phát hành");
    let issue_tc = api.issue_tc("dl").await;
    api.wait("issue", &issue_tc).await;

    let day = "20260502";
    for code in ["dl", create_tc.as_str(), issue_tc.as_str()] {
        let v = api
            .get(&format!("/v1/invoices/{code}/download?type=pdf"))
            .await
            .json();
        assert_eq!(v["success"], true);
        assert_eq!(v["data"]["file_type"], "pdf");
        assert_eq!(v["data"]["file_name"], format!("HD_0000001_{day}.pdf"));
        let bytes = STANDARD
            .decode(v["data"]["content"].as_str().unwrap())
            .unwrap();
        check_pdf(&bytes);
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("0000001"));
        assert!(text.contains("Cong ty ABC"), "buyer shown");
        assert!(text.contains("220000 VND"), "total shown");
    }

    let v = api.get("/v1/invoices/dl/download?type=xml").await.json();
    assert_eq!(v["data"]["file_type"], "xml");
    assert_eq!(v["data"]["file_name"], format!("HD_0000001_{day}.xml"));
    let xml = String::from_utf8(
        STANDARD
            .decode(v["data"]["content"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(xml.contains("<SHDon>1</SHDon>"));
    assert!(xml.contains("<KHHDon>C26TSE</KHHDon>"));
    assert!(xml.contains("<THHDVu>Sản phẩm A</THHDVu>"));
    assert!(xml.contains("<TgTTTBSo>220000</TgTTTBSo>"));
    assert_eq!(
        xml.matches("<HHDVu>").count(),
        xml.matches("</HHDVu>").count()
    );
    assert!(xml.trim_end().ends_with("</HDon>"));

    for bad in ["", "?type=doc", "?type="] {
        let r = api.get(&format!("/v1/invoices/dl/download{bad}")).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (400, "BAD_REQUEST"),
            "{bad}"
        );
    }
    let r = api.get("/v1/invoices/nope/download?type=pdf").await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "NOT_FOUND"));

    // pdf_url works without auth.
    let r = raw(api.addr, "GET", "/_mock/files/dl.pdf", &[], None)
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    check_pdf(&r.body);
    let r = raw(api.addr, "GET", "/_mock/files/dl.xml", &[], None)
        .await
        .unwrap();
    assert!(r.text().starts_with("<?xml"));
    assert_eq!(
        raw(api.addr, "GET", "/_mock/files/nope.pdf", &[], None)
            .await
            .unwrap()
            .status,
        404
    );
}

#[tokio::test]
async fn delete_drafts_only() {
    let api = Api::start(instant_config()).await;
    api.draft("del-1").await;
    let r = api.post("/v1/invoices/delete/del-1", &Value::Null).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"success":true,"data":{"reference_code":"del-1","message":"Hóa đơn nháp đã được xóa thành công"}})
    );
    assert_eq!(api.get("/v1/invoices/del-1").await.status, 404);
    let r = api.post("/v1/invoices/delete/del-1", &Value::Null).await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "NOT_FOUND"));

    api.draft("del-2").await;
    api.issue("del-2").await;
    let r = api.post("/v1/invoices/delete/del-2", &Value::Null).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "BAD_REQUEST"));
    assert_eq!(api.get("/v1/invoices/del-2").await.status, 200);
}

#[tokio::test]
async fn tokens_expire_by_ttl() {
    let api = Api::start(MockConfig {
        token_ttl: Duration::from_secs(1),
        ..MockConfig::default()
    })
    .await;
    assert_eq!(api.get("/v1/usage").await.status, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = api.get("/v1/usage").await;
    assert_eq!((r.status, r.error_code().as_str()), (401, "UNAUTHORIZED"));
}

#[tokio::test]
async fn tokens_expire_on_demand() {
    let mut api = Api::start(MockConfig::default()).await;
    let r = api.control("POST", "/_mock/tokens/expire", None).await;
    assert_eq!(r.status, 200);
    let r = api.get("/v1/usage").await;
    assert_eq!((r.status, r.error_code().as_str()), (401, "UNAUTHORIZED"));
    api.token = api.new_token().await;
    assert_eq!(api.get("/v1/usage").await.status, 200);
    assert_eq!(api.stats().await["tokens_issued"], 2);
}
