<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Alert;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\Form\FormValues;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;

/**
 * The alert channel form: the posted form as `AlertChannelInput` (new) or `AlertChannelChanges` (edit),
 * save and delete. Plain PHP over ServiceClientInterface.
 *
 * The URL and the webhook key are write-only: the service never sends them back (`maskedUrl` is scheme
 * and host), so the form shows them empty, and an empty field on an edit is left out of the input:
 * the service keeps the stored value. The service validates and names the field in its error.
 */
class AlertChannelForm
{
    public const KINDS = ['slack', 'webhook'];

    public function __construct(private readonly ServiceClientInterface $client)
    {
    }

    /**
     * The form's values for a channel from `alertChannels`: never a URL or key (the service has none to give).
     *
     * @param array<string, mixed> $channel
     * @return array{name: string, kind: string, url: string, secret: string}
     */
    public static function toForm(array $channel): array
    {
        return ['name' => (string)($channel['name'] ?? ''), 'kind' => (string)($channel['kind'] ?? 'slack'), 'url' => '', 'secret' => ''];
    }

    /**
     * Maps the posted form: a new channel (no `original_name`) sends every field it has; an edit sends the
     * channel's name and only the fields that were filled in.
     *
     * @param array<string, mixed> $form
     * @return array<string, string>
     */
    public static function toInput(array $form): array
    {
        $original = FormValues::text($form['original_name'] ?? null);
        $input = ['name' => $original ?? (string)FormValues::text($form['name'] ?? null)];
        $kind = FormValues::text($form['kind'] ?? null);
        if ($kind !== null) {
            $input['kind'] = strtolower($kind);
        }
        foreach (['url', 'secret'] as $field) {
            $value = FormValues::text($form[$field] ?? null);
            if ($value !== null) {
                $input[$field] = $value;
            }
        }
        if ($original === null) {
            $input += ['kind' => '', 'url' => ''];
        }
        return $input;
    }

    public static function isNew(array $form): bool
    {
        return FormValues::text($form['original_name'] ?? null) === null;
    }

    /**
     * The channel of that name from `alertChannels`, or null.
     *
     * @param list<array<string, mixed>> $channels
     * @return array<string, mixed>|null
     */
    public static function find(array $channels, string $name): ?array
    {
        foreach ($channels as $channel) {
            if (($channel['name'] ?? null) === $name) {
                return $channel;
            }
        }
        return null;
    }

    /**
     * Creates (no `original_name`) or changes the channel.
     *
     * @param array<string, mixed> $form
     * @return array{name: string, kind: string, maskedUrl: string, signed: bool, source: string, usedBy: list<string>}
     * @throws GraphQlException BAD_USER_INPUT naming the field, NOT_FOUND for an edit of a channel that is gone
     */
    public function save(array $form): array
    {
        $input = self::toInput($form);
        if (self::isNew($form)) {
            return $this->client->execute(Queries::CREATE_ALERT_CHANNEL, ['input' => $input])['createAlertChannel'];
        }
        return $this->client->execute(Queries::UPDATE_ALERT_CHANNEL, ['input' => $input])['updateAlertChannel'];
    }

    /**
     * @return bool false when there is no such channel
     * @throws GraphQlException BAD_USER_INPUT while a rule uses it (the message names the rules)
     */
    public function delete(string $name): bool
    {
        return (bool)($this->client->execute(Queries::DELETE_ALERT_CHANNEL, ['name' => $name])['deleteAlertChannel'] ?? false);
    }
}
