"""The forms of accounts: labels and hints in the person's language, errors in words."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from participation.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from participation.core.forms import strip_line

REQUIRED = _l("This field is required.")


def _email_field(label=None):
    return EmailField(label or _l("Email"), filters=[strip_line], validators=[
        DataRequired(REQUIRED), Length(max=254),
        Email(_l("Write an email address like name@example.org."),
              check_deliverability=False)])


def _new_password(label=None):
    return PasswordField(
        label or _l("Password"),
        description=_l("At least %(n)d characters; a short sentence is easy to remember.",
                       n=MIN_LENGTH),
        validators=[InputRequired(REQUIRED), Length(max=MAX_LENGTH)])


def _pseudonym():
    return StringField(
        _l("Pseudonym"), filters=[strip_line],
        description=_l("Shown publicly beside what you write. It can be your first name."),
        validators=[DataRequired(REQUIRED),
                    Length(min=2, max=40, message=_l("Between 2 and 40 characters."))])


def _birth_year():
    return IntegerField(
        _l("Year of birth (optional)"),
        description=_l("Some projects and consultations have an age limit."),
        validators=[Optional(), NumberRange(
            min=1900, max=date.today().year,
            message=_l("Write a year between %(min)s and %(max)s."))])


class RegisterForm(FlaskForm):
    pseudonym = _pseudonym()
    email = _email_field()
    password = _new_password()
    commune = SelectField(_l("Commune where you live"), validators=[DataRequired(REQUIRED)])
    birth_year = _birth_year()
    consent = BooleanField(
        _l("I have read the privacy notice and agree that my data is used as it explains."),
        validators=[DataRequired(_l("Please accept the privacy notice to create an account."))])


class LoginForm(FlaskForm):
    login = StringField(_l("Email or pseudonym"), filters=[strip_line],
                        validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(REQUIRED),
                                                          Length(max=MAX_LENGTH)])
    remember = BooleanField(_l("Stay logged in on this device (not on a shared computer)"))


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class NewPasswordForm(FlaskForm):
    password = _new_password(_l("New password"))


class SetupCodeForm(FlaskForm):
    pseudonym = StringField(_l("Pseudonym"), filters=[strip_line],
                            validators=[DataRequired(REQUIRED), Length(max=40)])
    code = StringField(_l("Code on your sheet"), filters=[strip_line],
                       description=_l("For example ABCD-EFGH-JKLM."),
                       validators=[DataRequired(REQUIRED), Length(max=20)])
    password = _new_password(_l("Choose a password"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[InputRequired(REQUIRED), Length(max=MAX_LENGTH)])
    password = _new_password(_l("New password"))


class ChangeEmailForm(FlaskForm):
    email = _email_field(_l("New email"))
    password = PasswordField(_l("Current password"),
                             validators=[InputRequired(REQUIRED), Length(max=MAX_LENGTH)])


class ProfileForm(FlaskForm):
    pseudonym = _pseudonym()
    commune = SelectField(_l("Commune where you live"), validators=[DataRequired(REQUIRED)])
    birth_year = _birth_year()


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password, to confirm"),
                             validators=[Optional(), Length(max=MAX_LENGTH)])
    confirm = BooleanField(
        _l("I understand that my account and my personal data will be erased for good."),
        validators=[DataRequired(_l("Tick the box to confirm."))])


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"), choices=[("fr", "Français"), ("en", "English")])


class SearchPeopleForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Pseudonym or email"), filters=[strip_line],
                    validators=[DataRequired(REQUIRED), Length(min=2, max=100)])


class AssistedAccountForm(FlaskForm):
    pseudonym = _pseudonym()
    commune = SelectField(_l("Commune where the person lives"),
                          validators=[DataRequired(REQUIRED)])
    birth_year = _birth_year()
    centre = SelectField(_l("Your centre"), coerce=int)
    consent = BooleanField(
        _l("I have explained the privacy notice to the person, who agrees."),
        validators=[DataRequired(_l("The person must agree to the privacy notice."))])


class VerifyResidenceForm(FlaskForm):
    commune = SelectField(_l("Commune of residence seen on the proof"),
                          validators=[DataRequired(REQUIRED)])
    centre = SelectField(_l("Your centre"), coerce=int)
    seen = BooleanField(_l("I have seen a proof of address in person."),
                        validators=[DataRequired(_l("Tick the box to confirm."))])


class GrantRoleForm(FlaskForm):
    person = StringField(_l("Email or pseudonym of the person"), filters=[strip_line],
                         validators=[DataRequired(REQUIRED), Length(max=254)])
    organisation = SelectField(_l("Organisation"), coerce=int)
    kind = SelectField(_l("Role"))


# --- Two-step verification, re-authentication ---------------------------------------------


def _second_factor_code(description=None):
    return StringField(
        _l("Code"), filters=[strip_line],
        description=description or _l("The 6 digits shown by your authenticator app, or one "
                                       "of your recovery codes (like ABCD-EFGH)."),
        validators=[DataRequired(REQUIRED), Length(max=20)])


class TwoFactorCodeForm(FlaskForm):
    code = _second_factor_code()


class TwoFactorSetupForm(FlaskForm):
    code = _second_factor_code(_l("The 6 digits your app shows now for Participation Calaisis."))


class DisableTwoFactorForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[InputRequired(REQUIRED),
                                                              Length(max=MAX_LENGTH)])
    code = _second_factor_code()


class ReauthenticateForm(FlaskForm):
    """Asked before a sensitive change; prefixed so it never clashes with the change's form."""

    password = PasswordField(_l("Your password"), validators=[InputRequired(REQUIRED),
                                                              Length(max=MAX_LENGTH)])
