{% macro nport_dataset_months(dataset, month_column, columns, key_columns=[]) %}
    {#-
        The SEC data sets' monthly columns of `dataset` (`columns`: output name -> column
        name with `{k}` for the month, 1..3) as one row per filing and month, for filings not
        landed from their XML (`xml_accessions`), dated by `dataset_submissions`' report date. Month 3 is the report date's month,
        month k the report month minus (3 - k), as the XML parser attributes it.
    -#}
    {%- for k in [1, 2, 3] %}
    select
        {{ dataset }}.accession_number,
        {%- for key in key_columns %}
        {{ key }},
        {%- endfor %}
        {{ k }} as month_number,
        cast({{ dbt.dateadd('month', k - 3, dbt.date_trunc('month', 'dataset_submissions.period_end')) }} as date) as {{ month_column }},
        {%- for name, column in columns.items() %}
        {{ dataset }}.{{ column | replace('{k}', k | string) }} as {{ name }},
        {%- endfor %}
        {{ dataset }}.loaded_at as _loaded_at
    from {{ dataset }}
    inner join dataset_submissions
        on {{ dataset }}.accession_number = dataset_submissions.accession_number
    where {{ dataset }}.accession_number not in (select accession_number from xml_accessions)
        and dataset_submissions.period_end is not null
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{% endmacro %}
