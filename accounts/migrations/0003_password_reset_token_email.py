from django.db import migrations, models


def sent_to_current_email(apps, schema_editor):
    """Open tokens were sent to the address the user has now."""
    PasswordResetToken = apps.get_model("accounts", "PasswordResetToken")
    User = apps.get_model("accounts", "User")
    PasswordResetToken.objects.update(
        email=models.Subquery(User.objects.filter(id=models.OuterRef("user_id")).values("email")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_password_reset_token")]

    operations = [
        migrations.AddField(
            model_name="passwordresettoken",
            name="email",
            field=models.EmailField(default="", editable=False, max_length=254),
        ),
        migrations.RunPython(sent_to_current_email, migrations.RunPython.noop),
    ]
