<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Email;

/**
 * What goes over the cronkeeper.sales.email.send topic: which document to e-mail. Only the type and id travel;
 * the handler reads everything else fresh from the database, so a late or repeated message is harmless.
 */
final class EmailMessage
{
    public function __construct(public readonly EntityType $type, public readonly int $id)
    {
        if ($id <= 0) {
            throw new InvalidEmailMessageException(sprintf('entity id must be a positive integer, got %d', $id));
        }
    }

    public function toJson(): string
    {
        return json_encode(['type' => $this->type->value, 'id' => $this->id], JSON_THROW_ON_ERROR);
    }

    public static function fromJson(string $json): self
    {
        try {
            $data = json_decode($json, true, 4, JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            throw new InvalidEmailMessageException('message is not JSON: ' . $e->getMessage(), 0, $e);
        }
        if (!is_array($data)) {
            throw new InvalidEmailMessageException('message must be a JSON object with "type" and "id"');
        }
        $type = is_string($data['type'] ?? null) ? EntityType::tryFrom($data['type']) : null;
        if ($type === null) {
            throw new InvalidEmailMessageException(sprintf(
                '"type" must be one of %s',
                implode(', ', array_map(static fn (EntityType $t): string => $t->value, EntityType::cases()))
            ));
        }
        $id = $data['id'] ?? null;
        if (!is_int($id) && !(is_string($id) && ctype_digit($id))) {
            throw new InvalidEmailMessageException('"id" must be a positive integer');
        }
        return new self($type, (int)$id);
    }

    public function describe(): string
    {
        return sprintf('%s %d', $this->type->value, $this->id);
    }
}
