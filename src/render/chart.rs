//! The chart's data from the trends, with its labels in the reader's language.

use rust_decimal::prelude::ToPrimitive;

use super::{Flavor, Renderer};
use crate::analysis::dashboard::Trends;
use crate::analysis::text;
use crate::chart::{ChartSeries, CostChart, ForecastPoint};
use crate::domain::item::Category;
use crate::domain::money::Money;
use crate::domain::workspace::Language;

fn number(money: &Money) -> f64 {
    money.amount.to_f64().unwrap_or(0.0)
}

/// Monthly bars by category (completed months, then this month so far), the forecast band, and
/// the run-rate by category beside them (the dashboard's monthly cost).
pub fn cost_chart(trends: &Trends, language: Language) -> CostChart {
    let renderer = Renderer::get(language, Flavor::Plain);
    let label = |id: &'static str| renderer.text(&crate::analysis::Text { id, args: Default::default() });
    let category_name = |c: Category| renderer.text(&text!("chart.category", category = c));
    let mut months: Vec<String> = trends.months.iter().map(|m| m.month.to_string()).collect();
    months.push(trends.this_month.month.to_string());
    let current = months.len() - 1;
    let forecast: Vec<ForecastPoint> = trends
        .forecast
        .iter()
        .flatten()
        .map(|f| {
            months.push(f.month.to_string());
            ForecastPoint {
                month: months.len() - 1,
                low: number(&f.low),
                mid: number(&f.expected),
                high: number(&f.high),
            }
        })
        .collect();
    let categories: Vec<Category> = match trends.category {
        Some(only) => vec![only],
        None => Category::ALL.to_vec(),
    };
    let series = categories
        .iter()
        .map(|c| {
            let mut values: Vec<f64> =
                trends.months.iter().map(|m| m.by_category.get(c).map(number).unwrap_or(0.0)).collect();
            values.push(trends.this_month_by_category.get(c).map(|m| number(&m.to_date)).unwrap_or(0.0));
            values.resize(months.len(), 0.0);
            ChartSeries { name: category_name(*c), values }
        })
        .collect();
    let title = match trends.category {
        Some(c) => renderer.text(&text!("chart.title_category", category = c, currency = trends.base_currency)),
        None => renderer.text(&text!("chart.title", currency = trends.base_currency)),
    };
    CostChart {
        title,
        currency: trends.base_currency.to_string(),
        months,
        series,
        current_month: Some(current),
        projection: Some(number(&trends.this_month.projected)),
        forecast,
        projection_label: label("chart.projection"),
        forecast_label: label("chart.forecast"),
        breakdown_title: label("chart.breakdown"),
        breakdown: trends.run_rate_by_category.iter().map(|(c, m)| (category_name(*c), number(m))).collect(),
        empty_text: label("chart.empty"),
    }
}
