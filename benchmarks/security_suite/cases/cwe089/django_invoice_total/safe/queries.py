from django.db import connection


def invoice_total(invoice_id) -> float:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT SUM(quantity * unit_price) FROM billing_line WHERE invoice_id = %s"
            % invoice_id
        )
        (total,) = cursor.fetchone()
    return float(total or 0)
