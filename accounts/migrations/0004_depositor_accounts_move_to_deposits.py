# Depositor accounts and their reveal links now belong to the deposits app. Only Django's
# model state changes here: the tables and their rows stay where they are, and
# deposits.0001_depositor_accounts_from_accounts takes them over under the same table names.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_depositors_messages'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='CredentialReveal'),
                migrations.DeleteModel(name='DepositorAccount'),
            ],
            database_operations=[],
        ),
    ]
