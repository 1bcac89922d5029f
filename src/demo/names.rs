//! Place and person names for the demo: plainly synthetic, built from common characters.

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

const FIRST: &[&str] = &[
    "清", "石", "柳", "杨", "马", "桥", "龙", "凤", "白", "红", "黄", "青", "金", "东", "西", "南",
    "北", "上", "下", "中", "大", "小", "新", "高", "平", "安", "永", "太", "长", "松", "梨", "枣",
    "槐", "桃", "李", "古", "双", "三",
];
const SECOND: &[&str] = &[
    "河", "山", "沟", "湾", "坪", "岭", "川", "庄", "店", "寨", "坡", "峪", "台", "源", "泉", "林",
    "堡", "营", "集", "门", "塬", "岔", "坝", "嘴",
];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗",
];
const GIVEN: &[&str] = &[
    "建国", "秀英", "志强", "桂兰", "海燕", "明", "军", "红梅", "文华", "玉兰", "国庆", "丽", "伟",
    "春生", "晓东", "淑珍", "永福", "凤英", "卫东", "小平",
];

/// Hands out unique two-character stems ("清河", "石坪"), numbering them once exhausted.
pub struct NamePool {
    used: HashSet<String>,
}

impl NamePool {
    pub fn new() -> NamePool {
        NamePool {
            used: HashSet::new(),
        }
    }

    pub fn stem(&mut self, rng: &mut ChaCha8Rng) -> String {
        for _ in 0..20 {
            let s = format!(
                "{}{}",
                FIRST.choose(rng).expect("non-empty"),
                SECOND.choose(rng).expect("non-empty")
            );
            if self.used.insert(s.clone()) {
                return s;
            }
        }
        let mut n = self.used.len();
        loop {
            let s = format!(
                "{}{}{n}",
                FIRST.choose(rng).expect("non-empty"),
                SECOND.choose(rng).expect("non-empty")
            );
            if self.used.insert(s.clone()) {
                return s;
            }
            n += 1;
        }
    }
}

/// A fictional person's name.
pub fn person(rng: &mut ChaCha8Rng) -> String {
    format!(
        "{}{}",
        SURNAMES.choose(rng).expect("non-empty"),
        GIVEN.choose(rng).expect("non-empty")
    )
}

/// A phone number in the reserved-looking 555 range: obviously not a real line.
pub fn phone(rng: &mut ChaCha8Rng) -> String {
    format!(
        "555-{:04}-{:04}",
        rng.random_range(0..10_000),
        rng.random_range(0..10_000)
    )
}
