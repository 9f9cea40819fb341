//! The seeded dataset: realistic dossiers, the service catalog, office configuration.

use serde_json::{Value, json};

/// One seeded dossier.
#[derive(Debug, Clone)]
pub struct SeedDossier {
    /// Code like `000.00.12.H62-201105-0004`.
    pub code: String,
    /// Lookup secret printed on the receipt.
    pub secret: String,
    /// The whole status document served by `GET /v1/dossiers/{code}`.
    pub doc: Value,
}

const PROCEDURES: [(&str, &str, u32); 6] = [
    ("1.001612", "Đăng ký khai sinh", 1),
    ("1.000894", "Đăng ký kết hôn", 5),
    ("2.000908", "Chứng thực bản sao từ bản chính", 1),
    ("1.009994", "Cấp giấy phép xây dựng nhà ở riêng lẻ", 15),
    ("1.003003", "Đăng ký biến động quyền sử dụng đất", 10),
    ("2.001035", "Cấp phiếu lý lịch tư pháp", 10),
];

const STATUSES: [(&str, &str); 5] = [
    ("received", "Đã tiếp nhận"),
    ("processing", "Đang xử lý"),
    ("awaiting_supplement", "Chờ bổ sung"),
    ("result_ready", "Đã có kết quả"),
    ("returned", "Đã trả kết quả"),
];

const NAMES: [&str; 6] = ["Nguyễn V. A.", "Trần T. B.", "Lê H. C.", "Phạm M. D.", "Hoàng T. Đ.", "Võ Q. E."];

/// The catalog of `GET /v1/catalog`.
pub fn catalog() -> Value {
    let services: Vec<Value> = PROCEDURES
        .iter()
        .map(|(code, name, days)| json!({"code": code, "name": name, "processing_days": days, "fee_vnd": if *days > 5 { 50000 } else { 0 }}))
        .collect();
    json!({"version": "2026-11-01T00:00:00+07:00", "services": services})
}

/// The configuration of `GET /v1/offices/{id}/config`.
pub fn office_config(office_id: &str) -> Value {
    json!({
        "office_id": office_id,
        "name": "Bộ phận Một cửa UBND phường Mẫu",
        "timezone": "Asia/Ho_Chi_Minh",
        "opening_hours": [
            {"days": ["mon","tue","wed","thu","fri"], "open": "07:30", "close": "11:30"},
            {"days": ["mon","tue","wed","thu","fri"], "open": "13:30", "close": "17:00"},
            {"days": ["sat"], "open": "07:30", "close": "11:30"}
        ],
        "fields": [
            {"id": "tuphap", "name": "Tư pháp - Hộ tịch", "procedures": ["1.001612", "1.000894", "2.000908"]},
            {"id": "datdai", "name": "Đất đai - Xây dựng", "procedures": ["1.009994", "1.003003"]}
        ],
        "updated_at": "2026-11-01T08:00:00+07:00"
    })
}

/// 30 deterministic dossiers over every status.
pub fn dossiers() -> Vec<SeedDossier> {
    let mut out = Vec::new();
    for i in 0..30u32 {
        let (pcode, pname, days) = PROCEDURES[(i as usize) % PROCEDURES.len()];
        let (status, label) = STATUSES[(i as usize) % STATUSES.len()];
        let day = 3 + (i % 25);
        let code = format!("000.00.12.H62-2611{day:02}-{:04}", i + 1);
        let secret = format!("{:06}", (i * 7919 + 104_729) % 1_000_000);
        let received = format!("2026-11-{day:02}T08:{:02}:00+07:00", 10 + i % 40);
        let due_day = (day + days).min(30);
        let due = format!("2026-11-{due_day:02}T17:00:00+07:00");
        let mut steps = vec![json!({"at": received, "step": "Tiếp nhận hồ sơ", "by": "Bộ phận Một cửa"})];
        let rank = (i as usize) % STATUSES.len();
        if rank >= 1 {
            steps.push(json!({"at": format!("2026-11-{day:02}T14:00:00+07:00"), "step": "Chuyển phòng chuyên môn xử lý", "by": "Phòng Tư pháp"}));
        }
        if rank == 2 {
            steps.push(json!({"at": format!("2026-11-{day:02}T15:30:00+07:00"), "step": "Yêu cầu bổ sung: bản sao giấy tờ tùy thân", "by": "Phòng Tư pháp"}));
        }
        if rank >= 3 {
            steps.push(json!({"at": format!("2026-11-{due_day:02}T09:00:00+07:00"), "step": "Có kết quả, chuyển Bộ phận Một cửa", "by": "Phòng Tư pháp"}));
        }
        if rank == 4 {
            steps.push(json!({"at": format!("2026-11-{due_day:02}T10:15:00+07:00"), "step": "Đã trả kết quả cho công dân", "by": "Bộ phận Một cửa"}));
        }
        let doc = json!({
            "code": code,
            "procedure": {"code": pcode, "name": pname},
            "applicant": NAMES[(i as usize) % NAMES.len()],
            "status": status,
            "status_label": label,
            "received_at": received,
            "due_at": due,
            "steps": steps,
        });
        out.push(SeedDossier { code, secret, doc });
    }
    out
}
